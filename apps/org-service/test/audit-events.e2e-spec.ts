import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import request from 'supertest';
import { generateSync } from 'otplib';
import { type AuditEventJob, type CreateTotpDeviceReply, Jobs, Patterns, queuePrefix, Queues } from '@mfa/contracts';
import { signedJobData } from '@mfa/bus';
import { InternalKey } from '@mfa/crypto';
import {
  bearer,
  createApiKey,
  createOrg,
  startTestServices,
  TEST_CLUSTER_NODES,
  testRedis,
  type TestOrg,
  type TestServices,
} from '@test/support';
import type { RedisConnection } from '@mfa/bus';
import { AuditService } from '../src/audit/audit.service';
import { DataSource } from 'typeorm';

let s: TestServices;
let audit: AuditService;
let queue: Queue;
let connection: RedisConnection;
let key: InternalKey;
const http = () => request(s.orgUrl);

beforeAll(async () => {
  s = await startTestServices();
  audit = s.org.app.get(AuditService);
  key = s.org.app.get(InternalKey);
  connection = testRedis({ maxRetriesPerRequest: null });
  queue = new Queue(Queues.AuditEvents, { connection, prefix: queuePrefix(Queues.AuditEvents, TEST_CLUSTER_NODES !== '') });
});
afterAll(async () => {
  await queue?.close();
  connection?.disconnect();
  await s?.close();
});

async function events(org: TestOrg, query = '') {
  const res = await http().get(`/v1/orgs/${org.id}/audit-events${query}`).set(org.auth);
  expect(res.status).toBe(200);
  return res.body as {
    items: Array<{
      id: string;
      action: string;
      actor: { type: string; id: string | null };
      target: { type: string; id: string | null };
      details: Record<string, unknown>;
    }>;
    nextCursor: string | null;
  };
}

/** Events reach the log asynchronously (outbox, queue): poll until `done` or 10 s. */
async function eventually<T>(read: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  const until = Date.now() + 10_000;
  for (;;) {
    const v = await read();
    if (done(v) || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function job(orgId: string, over: Partial<AuditEventJob> = {}): AuditEventJob {
  return {
    id: randomUUID(),
    orgId,
    at: new Date().toISOString(),
    actor: { type: 'account', id: randomUUID() },
    action: 'device.enabled',
    target: { type: 'mfa_device', id: 'SN-1' },
    details: { type: 'totp' },
    ...over,
  };
}

describe('GET /v1/orgs/:orgId/audit-events', () => {
  it('pages newest first with an opaque cursor, and filters by action', async () => {
    const org = await createOrg(s.orgUrl, s.platformKey);
    const t0 = Date.now() - 60_000;
    const recorded: string[] = [];
    for (let i = 0; i < 25; i++) {
      const e = await audit.recordNow({
        orgId: org.id,
        action: i % 5 === 0 ? 'member.removed' : 'member.added',
        actor: { type: 'api_key', id: randomUUID() },
        target: { type: 'account', id: randomUUID() },
        at: new Date(t0 + (i % 3 === 0 ? 0 : i) * 1000),
      });
      recorded.push(e.id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await events(org, `?limit=10${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      seen.push(...page.items.map((e) => e.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    // the org's own creation left org.created and api_key.created too
    expect(pages).toBe(3);
    expect(seen).toHaveLength(27);
    expect(new Set(seen).size).toBe(27);
    expect(recorded.every((id) => seen.includes(id))).toBe(true);
    const all = await events(org, '?limit=1000');
    const times = all.items.map((e: unknown) => Date.parse((e as { at: string }).at));
    expect(times).toEqual([...times].sort((x, y) => y - x));
    expect(all.nextCursor).toBeNull();

    const removed = await events(org, '?action=member.removed');
    expect(removed.items).toHaveLength(5);
    expect(removed.items.every((e) => e.action === 'member.removed')).toBe(true);
  });

  it('a bad query is 400 validation_failed naming the field', async () => {
    const org = await createOrg(s.orgUrl, s.platformKey);
    for (const [query, field] of [
      ['limit=0', 'limit'],
      ['limit=1001', 'limit'],
      ['limit=x', 'limit'],
      ['action=org.deleted', 'action'],
      ['cursor=garbage', 'cursor'],
    ]) {
      const res = await http().get(`/v1/orgs/${org.id}/audit-events?${query}`).set(org.auth);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'validation_failed', message: expect.stringContaining(field) });
    }
  });

  it("an auditor key reads the log; another org's key does not", async () => {
    const org = await createOrg(s.orgUrl, s.platformKey);
    const other = await createOrg(s.orgUrl, s.platformKey);
    await audit.recordNow({
      orgId: org.id,
      action: 'member.added',
      actor: { type: 'api_key', id: null },
      target: { type: 'account', id: null },
    });
    const auditor = bearer((await createApiKey(s.orgUrl, org, 'auditor')).key);
    const res = await http().get(`/v1/orgs/${org.id}/audit-events?action=member.added`).set(auditor);
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(1);
    expect((await http().get(`/v1/orgs/${org.id}/audit-events`).set(other.auth)).status).toBe(404);
  });
});

describe('AuditService.record', () => {
  it("commits and rolls back with the caller's transaction, and scrubs secrets from details", async () => {
    const org = await createOrg(s.orgUrl, s.platformKey);
    const db = s.org.app.get(DataSource);
    await db.transaction(async (m) => {
      await audit.record(m, {
        orgId: org.id,
        action: 'api_key.created',
        actor: { type: 'api_key', id: null },
        target: { type: 'api_key', id: 'k1' },
        details: { role: 'auditor', key: 'mfak_secret' },
      });
    });
    await db
      .transaction(async (m) => {
        await audit.record(m, {
          orgId: org.id,
          action: 'api_key.revoked',
          actor: { type: 'api_key', id: null },
          target: { type: 'api_key', id: 'k1' },
        });
        throw new Error('rolled back');
      })
      .catch(() => undefined);
    const page = await events(org);
    const ours = page.items.filter((e) => e.target.id === 'k1');
    expect(ours.map((e) => e.action)).toEqual(['api_key.created']);
    expect(ours[0].details).toEqual({ role: 'auditor' });
  });
});

describe('the audit-events queue', () => {
  /** A job as the platform adds it (JobQueues signs it), but added here with plain BullMQ. */
  const signed = (e: AuditEventJob) => signedJobData(key, Queues.AuditEvents, Jobs.RecordAuditEvent, e);

  it('records a job once even when it is delivered twice, and drops a malformed one', async () => {
    const org = await createOrg(s.orgUrl, s.platformKey);
    const e = job(org.id);
    await queue.add(Jobs.RecordAuditEvent, signed(e));
    await queue.add(Jobs.RecordAuditEvent, signed(e)); // a producer's retry: another job, the same event id
    await queue.add(Jobs.RecordAuditEvent, signed({ ...job(org.id), action: 'org.deleted' } as unknown as AuditEventJob));
    await queue.add(Jobs.RecordAuditEvent, signed(job(org.id, { action: 'session.issued', target: { type: 'account', id: null } })));
    const fromQueue = async () => (await events(org)).items.filter((x) => x.actor.type === 'account');
    const page = { items: await eventually(fromQueue, (items) => items.length >= 2) };
    await new Promise((r) => setTimeout(r, 200)); // a late duplicate would show up by now
    expect((await fromQueue()).map((x) => x.action).sort()).toEqual(['device.enabled', 'session.issued']);
    expect(page.items.find((x) => x.action === 'device.enabled')).toMatchObject({
      id: e.id,
      actor: e.actor,
      target: e.target,
      details: e.details,
    });
  });
});

describe('admin actions leave one event with their actor', () => {
  it('org, api keys, members, policy and exemptions', async () => {
    const org = await createOrg(s.orgUrl, s.platformKey);
    const admin = await createApiKey(s.orgUrl, org, 'admin');
    const auth = bearer(admin.key);
    const spare = await createApiKey(s.orgUrl, org, 'auditor');
    expect((await http().delete(`/v1/orgs/${org.id}/api-keys/${spare.id}`).set(auth)).status).toBe(204);
    expect((await http().delete(`/v1/orgs/${org.id}/api-keys/${spare.id}`).set(auth)).status).toBe(204); // idempotent: no second event
    const member = (
      await http()
        .post(`/v1/orgs/${org.id}/members`)
        .set(auth)
        .send({ email: `a-${Date.now()}@example.test` })
    ).body;
    const gone = (
      await http()
        .post(`/v1/orgs/${org.id}/members`)
        .set(auth)
        .send({ email: `b-${Date.now()}@example.test` })
    ).body;
    expect(
      (
        await http()
          .post(`/v1/orgs/${org.id}/members/bulk`)
          .set(auth)
          .send({ members: [{ email: `c-${Date.now()}@example.test` }, { email: `d-${Date.now()}@example.test` }] })
      ).status,
    ).toBe(201);
    expect((await http().delete(`/v1/orgs/${org.id}/members/${gone.id}`).set(auth)).status).toBe(204);
    const put = await http()
      .put(`/v1/orgs/${org.id}/mfa-policy`)
      .set(auth)
      .send({ requireMfa: true, gracePeriodHours: 24, allowedMethods: ['totp'] });
    expect(put.status).toBe(202);
    const until = new Date(Date.now() + 48 * 3_600_000).toISOString();
    expect((await http().put(`/v1/orgs/${org.id}/members/${member.id}/exemption`).set(auth).send({ until, reason: 'travel' })).status).toBe(
      200,
    );
    expect((await http().delete(`/v1/orgs/${org.id}/members/${member.id}/exemption`).set(auth)).status).toBe(200);

    const byAdmin: Record<string, string | null> = {
      'api_key.revoked': spare.id,
      'member.added': null,
      'members.bulk_added': org.id,
      'member.removed': gone.id,
      'policy.updated': null,
      'exemption.set': member.id,
      'exemption.removed': member.id,
    };
    const page = await eventually(
      () => events(org, '?limit=1000'),
      (p) => Object.keys(byAdmin).every((a) => p.items.some((e) => e.action === a)),
    );
    const count = (action: string) => page.items.filter((e) => e.action === action);
    expect(count('org.created')).toEqual([
      expect.objectContaining({ actor: { type: 'platform', id: null }, target: { type: 'org', id: org.id } }),
    ]);
    // the initial admin key (with the org) and the two made here
    expect(count('api_key.created')).toHaveLength(3);
    expect(count('member.added')).toHaveLength(2);
    for (const [action, targetId] of Object.entries(byAdmin)) {
      const found = count(action);
      expect({ action, n: action === 'member.added' ? 1 : found.length }).toEqual({ action, n: 1 });
      expect(found[0].actor).toEqual({ type: 'api_key', id: admin.id });
      if (targetId) expect(found[0].target.id).toBe(targetId);
    }
    expect(JSON.stringify(page.items)).not.toContain(admin.key);
    expect(JSON.stringify(page.items)).not.toContain(spare.key);
  });

  it("an admin's reset of a member's device, with the admin as actor and the serial as target", async () => {
    const org = await createOrg(s.orgUrl, s.platformKey);
    const admin = await createApiKey(s.orgUrl, org, 'admin');
    const member = (
      await http()
        .post(`/v1/orgs/${org.id}/members`)
        .set(org.auth)
        .send({ email: `r-${Date.now()}@example.test` })
    ).body;
    const device = (await s.bus.send(Patterns.MfaDevicesCreate, {
      accountId: member.id,
      type: 'totp',
      name: 'lost phone',
    })) as CreateTotpDeviceReply;
    const at = (stepsBack: number) => generateSync({ secret: device.secretBase32, epoch: Math.floor(Date.now() / 1000) - 30 * stepsBack });
    await s.bus.send(Patterns.MfaDevicesEnable, { accountId: member.id, serialNumber: device.serialNumber, code1: at(2), code2: at(1) });

    expect(
      (await http().delete(`/v1/orgs/${org.id}/members/${member.id}/mfa-devices/${device.serialNumber}`).set(bearer(admin.key))).status,
    ).toBe(204);
    const resets = (await events(org, '?action=device.reset')).items;
    expect(resets).toEqual([
      expect.objectContaining({
        actor: { type: 'api_key', id: admin.id },
        target: { type: 'mfa_device', id: device.serialNumber },
        details: expect.objectContaining({ accountId: member.id, activeDeviceCount: 0 }),
      }),
    ]);
    expect(JSON.stringify(resets)).not.toContain(device.secretBase32);
  });
});
