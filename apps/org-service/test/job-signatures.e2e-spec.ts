import { randomBytes, randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { JobQueues } from '@mfa/bus';
import { InternalKey } from '@mfa/crypto';
import {
  type AuditEventJob,
  type DeviceEventJob,
  Jobs,
  QUEUE_PREFIX,
  type QueueName,
  Queues,
  type RolloutProgressJob,
} from '@mfa/contracts';
import { addMember, createOrg, startTestServices, type TestOrg, type TestServices, waitFor } from '@test/support';
import { OrgServiceEnv } from '../src/config/org-service.env';

/**
 * Jobs are believed only when the platform signed them: anyone with access to Redis can add a
 * job with plain BullMQ, and such a job must never reach a processor. The platform's own jobs
 * (JobQueues, signed with BUS_INTERNAL_KEY) still do.
 */
let s: TestServices;
let platform: JobQueues;
const raw = new Map<QueueName, Queue>();
const http = () => request(s.orgUrl);

beforeAll(async () => {
  s = await startTestServices();
  const env = s.org.app.get(OrgServiceEnv);
  platform = new JobQueues(env.REDIS_URL, s.org.app.get(InternalKey), 'test-platform');
  for (const q of [Queues.AuditEvents, Queues.DeviceEvents, Queues.RolloutProgress]) {
    raw.set(q, new Queue(q, { connection: { url: env.REDIS_URL, maxRetriesPerRequest: null }, prefix: QUEUE_PREFIX }));
  }
});
afterAll(async () => {
  await Promise.all([...raw.values()].map((q) => q.close()));
  await platform?.close();
  await s?.close();
});

/** Adds a job by hand (plain BullMQ, retries asked for) and waits until a worker has failed it. */
async function addByHand(queue: QueueName, name: string, data: object): Promise<{ failedReason: string; attemptsMade: number }> {
  const q = raw.get(queue)!;
  const job = await q.add(name, data, { attempts: 5, backoff: { type: 'fixed', delay: 10 } });
  return waitFor(async () => {
    // the state first: a job read before it is moved to failed would lack its reason
    if ((await q.getJobState(job.id!)) !== 'failed') return null;
    const j = (await q.getJob(job.id!))!;
    return { failedReason: j.failedReason, attemptsMade: j.attemptsMade };
  });
}

const forged = () => randomBytes(32).toString('hex');

async function member(org: TestOrg, accountId: string) {
  const res = await http().get(`/v1/orgs/${org.id}/members/${accountId}`).set(org.auth);
  expect(res.status).toBe(200);
  return res.body as { enforcement: { state: string } };
}

describe('audit-events', () => {
  function event(orgId: string, action: AuditEventJob['action'] = 'device.enabled'): AuditEventJob {
    return {
      id: randomUUID(),
      orgId,
      at: new Date().toISOString(),
      actor: { type: 'account', id: randomUUID() },
      action,
      target: { type: 'mfa_device', id: 'SN-X' },
      details: {},
    };
  }
  const recorded = async (org: TestOrg) => {
    const res = await http().get(`/v1/orgs/${org.id}/audit-events?limit=1000`).set(org.auth);
    expect(res.status).toBe(200);
    return (res.body.items as Array<{ id: string }>).map((e) => e.id);
  };

  it('an event added by hand, unsigned or with a forged signature, is failed for good and never recorded', async () => {
    const org = await createOrg(s.orgUrl, s.platformKey);
    const unsigned = event(org.id);
    const badSig = event(org.id);
    const a = await addByHand(Queues.AuditEvents, Jobs.RecordAuditEvent, unsigned);
    const b = await addByHand(Queues.AuditEvents, Jobs.RecordAuditEvent, { ...badSig, sig: forged() });
    expect(a).toEqual({ failedReason: expect.stringContaining('unsigned job'), attemptsMade: 1 });
    expect(b).toEqual({ failedReason: expect.stringContaining('bad signature'), attemptsMade: 1 });

    // the platform's own event, added after them, is recorded; theirs are not
    const mine = event(org.id, 'session.issued');
    await platform.add(Jobs.RecordAuditEvent, mine);
    await waitFor(async () => (await recorded(org)).includes(mine.id));
    const ids = await recorded(org);
    expect(ids).not.toContain(unsigned.id);
    expect(ids).not.toContain(badSig.id);
  });

  it("a job signed for another queue's job name is refused too", async () => {
    const org = await createOrg(s.orgUrl, s.platformKey);
    const e = event(org.id);
    // a real signature, for rollout-progress: copied onto an audit event it does not verify
    const key = s.org.app.get(InternalKey);
    const sig = key.signJob(Queues.RolloutProgress, Jobs.RolloutProgress, e);
    expect(await addByHand(Queues.AuditEvents, Jobs.RecordAuditEvent, { ...e, sig })).toMatchObject({
      failedReason: expect.stringContaining('bad signature'),
    });
    expect(await recorded(org)).not.toContain(e.id);
  });
});

describe('device-events', () => {
  it("a device event added by hand does not make a member compliant; the platform's own does", async () => {
    const org = await createOrg(s.orgUrl, s.platformKey);
    const put = await http()
      .put(`/v1/orgs/${org.id}/mfa-policy`)
      .set(org.auth)
      .send({ requireMfa: true, gracePeriodHours: 24, allowedMethods: ['totp'] });
    expect(put.status).toBe(202);
    const m = await addMember(s.orgUrl, org);
    expect((await member(org, m.id)).enforcement.state).toBe('pending');

    const e: DeviceEventJob = {
      accountId: m.id,
      orgId: org.id,
      serialNumber: 'SN-FORGED',
      type: 'totp',
      activeDeviceCount: 1,
      cause: 'enabled',
      at: new Date().toISOString(),
    };
    expect(await addByHand(Queues.DeviceEvents, Jobs.DeviceActivated, e)).toMatchObject({
      failedReason: expect.stringContaining('unsigned job'),
      attemptsMade: 1,
    });
    expect(await addByHand(Queues.DeviceEvents, Jobs.DeviceActivated, { ...e, sig: forged() })).toMatchObject({
      failedReason: expect.stringContaining('bad signature'),
    });
    expect((await member(org, m.id)).enforcement.state).toBe('pending');

    await platform.add(Jobs.DeviceActivated, { ...e, at: new Date().toISOString() });
    await waitFor(async () => (await member(org, m.id)).enforcement.state === 'compliant');
  });
});

describe('rollout-progress', () => {
  it("progress added by hand does not move a rollout; the platform's own does", async () => {
    const org = await createOrg(s.orgUrl, s.platformKey);
    const rolloutId = randomUUID();
    // a rollout under way (inserted as if handed over a moment ago)
    await s.org.app
      .get(DataSource)
      .query(`INSERT INTO org.policy_rollouts (id, org_id, policy_version, status, total, applied) VALUES ($1, $2, 99, 'running', 10, 0)`, [
        rolloutId,
        org.id,
      ]);
    const rollout = async () =>
      (await http().get(`/v1/orgs/${org.id}/rollouts/${rolloutId}`).set(org.auth)).body as { status: string; applied: number };
    const done: RolloutProgressJob = {
      rolloutId,
      orgId: org.id,
      policyVersion: 99,
      status: 'completed',
      total: 10,
      applied: 10,
      completedAt: new Date().toISOString(),
    };

    expect(await addByHand(Queues.RolloutProgress, Jobs.RolloutProgress, done)).toMatchObject({
      failedReason: expect.stringContaining('unsigned job'),
      attemptsMade: 1,
    });
    expect(await addByHand(Queues.RolloutProgress, Jobs.RolloutProgress, { ...done, sig: forged() })).toMatchObject({
      failedReason: expect.stringContaining('bad signature'),
    });
    expect(await rollout()).toMatchObject({ status: 'running', applied: 0 });

    await platform.add(Jobs.RolloutProgress, done);
    await waitFor(async () => (await rollout()).status === 'completed');
    expect(await rollout()).toMatchObject({ status: 'completed', applied: 10 });
  });
});
