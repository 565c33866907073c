import { Controller, type INestMicroservice, Module } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createBusMicroservice, platformCredentialsFromEnv } from '@mfa/bus';
import { type DevicesSummaryRequest, InternalPatterns, Patterns } from '@mfa/contracts';
import { addMembers, bearer, createApiKey, createOrg, startTestServices, type TestOrg, type TestServices } from '@test/support';
import { CSV_HEADER } from '../src/compliance/compliance-csv';

/** A stand-in mfa-service: devices per account, as the test sets them. */
const devices: Record<string, { active: number; total: number; type: 'totp' | 'sms'; lastUsedAt: string | null }> = {};

@Controller()
class MfaStandIn {
  @MessagePattern(Patterns.MfaDevicesList)
  list() {
    return { items: [] };
  }

  @MessagePattern(InternalPatterns.MfaDevicesSummary)
  summary(req: DevicesSummaryRequest) {
    const ids = req.accountIds ?? Object.keys(devices);
    const devicesByType = { totp: 0, sms: 0, webauthn: 0 };
    const accounts: Record<string, { activeCount: number; secureActiveCount: number; deviceCount: number; lastUsedAt: string | null }> = {};
    let onlySmsCount = 0;
    for (const id of ids) {
      const d = devices[id];
      if (!d) continue;
      devicesByType[d.type] += d.active;
      if (d.type === 'sms' && d.active > 0) onlySmsCount++;
      const secureActiveCount = d.type === 'sms' ? 0 : d.active;
      accounts[id] = { activeCount: d.active, secureActiveCount, deviceCount: d.total, lastUsedAt: d.lastUsedAt };
    }
    return { devicesByType, onlySmsCount, accounts: req.accountIds ? accounts : {} };
  }
}

@Module({ controllers: [MfaStandIn] })
class MfaStandInModule {}

let s: TestServices;
let mfa: INestMicroservice;
let db: DataSource;
const http = () => request(s.orgUrl);
const HOUR = 3_600_000;

beforeAll(async () => {
  s = await startTestServices({ mfa: false });
  mfa = await createBusMicroservice(
    MfaStandInModule,
    { redisUrl: process.env.REDIS_URL!, service: 'mfa', platformSecret: platformCredentialsFromEnv('test').secret },
    { logger: false },
  );
  await mfa.listen();
  db = s.account.app.get(DataSource);
});
afterAll(async () => {
  await mfa?.close();
  await s?.close();
});

/** MFA required since 100 h ago with a 48 h grace: members without a device are non_compliant. */
async function requireMfa(orgId: string): Promise<void> {
  const since = new Date(Date.now() - 100 * HOUR);
  await db.query(
    `INSERT INTO accounts.org_policies (org_id, version, require_mfa, grace_period_hours, allowed_methods, required_since, policy_updated_at)
     VALUES ($1, 1, true, 48, '{totp,sms}', $2, $2)
     ON CONFLICT (org_id) DO UPDATE SET version = 1, require_mfa = true, grace_period_hours = 48, required_since = $2`,
    [orgId, since],
  );
  await db.query(`UPDATE accounts.accounts SET created_at = $2 WHERE org_id = $1`, [orgId, since]);
}

async function memberIds(orgId: string): Promise<string[]> {
  const rows: Array<{ id: string }> = await db.query(`SELECT id FROM accounts.accounts WHERE org_id = $1 ORDER BY id`, [orgId]);
  return rows.map((r) => r.id);
}

/** 2 compliant (with devices), 1 exempt, 1 pending (new member), the rest non_compliant. */
async function mixedOrg(size: number): Promise<{ org: TestOrg; ids: string[] }> {
  const org = await createOrg(s.orgUrl, s.platformKey);
  await addMembers(s.orgUrl, org, size);
  await requireMfa(org.id);
  const ids = await memberIds(org.id);
  await db.query(`UPDATE accounts.accounts SET active_device_count = 1 WHERE id = ANY($1::uuid[])`, [ids.slice(0, 2)]);
  devices[ids[0]] = { active: 1, total: 2, type: 'totp', lastUsedAt: '2026-01-02T03:04:05.000Z' };
  devices[ids[1]] = { active: 1, total: 1, type: 'sms', lastUsedAt: null };
  await db.query(`UPDATE accounts.accounts SET exempt_until = $2, exempt_reason = 'travel' WHERE id = $1`, [
    ids[2],
    new Date(Date.now() + 24 * HOUR),
  ]);
  await db.query(`UPDATE accounts.accounts SET created_at = now() WHERE id = $1`, [ids[3]]);
  return { org, ids };
}

describe('GET /v1/orgs/:orgId/compliance-report', () => {
  it('JSON: counts equal the members by state', async () => {
    const { org } = await mixedOrg(10);
    const res = await http().get(`/v1/orgs/${org.id}/compliance-report`).set(org.auth);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      generatedAt: expect.any(String),
      total: 10,
      byState: { not_required: 0, pending: 1, compliant: 2, non_compliant: 6, exempt: 1 },
      // 2 of (10 - 0 - 1)
      compliantPercent: 22.22,
      devicesByType: { totp: expect.any(Number), sms: expect.any(Number), webauthn: expect.any(Number) },
      onlySmsCount: expect.any(Number),
    });
    expect(res.body.onlySmsCount).toBeGreaterThanOrEqual(1); // ids[1] holds only an SMS device
    const members = await http().get(`/v1/orgs/${org.id}/members?limit=1000`).set(org.auth);
    const byState = members.body.items.reduce(
      (acc: Record<string, number>, m: { enforcement: { state: string } }) => ({
        ...acc,
        [m.enforcement.state]: (acc[m.enforcement.state] ?? 0) + 1,
      }),
      {},
    );
    expect(byState).toEqual({ pending: 1, compliant: 2, non_compliant: 6, exempt: 1 });
  });

  it('CSV: the exact header, one row per member, streamed over several pages', async () => {
    const { org, ids } = await mixedOrg(4500);
    const res = await http()
      .get(`/v1/orgs/${org.id}/compliance-report?format=csv`)
      .set(org.auth)
      .buffer(true)
      .parse((r, cb) => {
        let text = '';
        r.setEncoding('utf8');
        r.on('data', (c: string) => (text += c));
        r.on('end', () => cb(null, text));
      });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    const lines = (res.body as string).split('\n').filter((l) => l !== '');
    expect(lines[0]).toBe(CSV_HEADER);
    expect(lines).toHaveLength(4501);
    const rows = new Map(lines.slice(1).map((l) => [l.split(',')[0], l.split(',')]));
    expect([...rows.keys()].sort()).toEqual(ids);
    const [, , state0, active0, count0, deadline0, used0, exempt0, onlySms0] = rows.get(ids[0])!;
    expect([state0, active0, count0, used0, exempt0, onlySms0]).toEqual([
      'compliant',
      'true',
      '2',
      '2026-01-02T03:04:05.000Z',
      '',
      'false',
    ]);
    // the member whose only device is SMS: the last column says so
    expect(rows.get(ids[1])![8]).toBe('true');
    expect(rows.get(ids[2])![8]).toBe('false');
    expect(deadline0).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(rows.get(ids[2])!.slice(2, 5)).toEqual(['exempt', 'false', '0']);
    expect(rows.get(ids[2])![7]).toMatch(/^\d{4}-/);
    expect(rows.get(ids[4])!.slice(2, 8)).toEqual(['non_compliant', 'false', '0', expect.stringMatching(/^\d{4}-/), '', '']);
  });

  it('CSV: escapes commas and quotes, and neutralises formulas', async () => {
    const org = await createOrg(s.orgUrl, s.platformKey);
    await db.query(
      `INSERT INTO accounts.accounts (org_id, email) VALUES ($1, '"a,b"@example.test'), ($1, '=cmd|x@example.test'), ($1, 'plain@example.test')`,
      [org.id],
    );
    const res = await http().get(`/v1/orgs/${org.id}/compliance-report?format=csv`).set(org.auth);
    const text = res.text;
    expect(text.split('\n')[0]).toBe(CSV_HEADER);
    expect(text).toContain(',"""a,b""@example.test",not_required,false,0,,,,false,\n');
    expect(text).toContain(`,'=cmd|x@example.test,not_required,false,0,,,,false,\n`);
    expect(text).toContain(',plain@example.test,not_required,false,0,,,,false,\n');
    expect(text.split('\n').filter(Boolean)).toHaveLength(4);
  });

  it('an empty org gets the header alone', async () => {
    const org = await createOrg(s.orgUrl, s.platformKey);
    const res = await http().get(`/v1/orgs/${org.id}/compliance-report?format=csv`).set(org.auth);
    expect(res.status).toBe(200);
    expect(res.text).toBe(CSV_HEADER + '\n');
    const json = await http().get(`/v1/orgs/${org.id}/compliance-report?format=json`).set(org.auth);
    expect(json.body).toMatchObject({ total: 0, compliantPercent: 0 });
  });

  it('an auditor key reads the reports, and changes nothing', async () => {
    const org = await createOrg(s.orgUrl, s.platformKey);
    const auditor = bearer((await createApiKey(s.orgUrl, org, 'auditor')).key);
    expect((await http().get(`/v1/orgs/${org.id}/compliance-report`).set(auditor)).status).toBe(200);
    expect((await http().get(`/v1/orgs/${org.id}/compliance-report?format=csv`).set(auditor)).status).toBe(200);
    expect((await http().get(`/v1/orgs/${org.id}/compliance-report/history`).set(auditor)).status).toBe(200);
    const write = await http().post(`/v1/orgs/${org.id}/members`).set(auditor).send({ email: 'x@example.test' });
    expect(write.status).toBe(403);
    expect(write.body.code).toBe('forbidden');
  });

  it("another org's key gets not_found; no key gets unauthenticated", async () => {
    const org = await createOrg(s.orgUrl, s.platformKey);
    const other = await createOrg(s.orgUrl, s.platformKey);
    expect((await http().get(`/v1/orgs/${org.id}/compliance-report`).set(other.auth)).body.code).toBe('not_found');
    expect((await http().get(`/v1/orgs/${org.id}/compliance-report?format=csv`)).status).toBe(401);
  });

  it('a bad format or days is 400 validation_failed naming the field', async () => {
    const org = await createOrg(s.orgUrl, s.platformKey);
    const fmt = await http().get(`/v1/orgs/${org.id}/compliance-report?format=xml`).set(org.auth);
    expect(fmt.status).toBe(400);
    expect(fmt.body).toMatchObject({ code: 'validation_failed', message: expect.stringContaining('format') });
    for (const days of ['0', '367', 'abc', '1.5']) {
      const res = await http().get(`/v1/orgs/${org.id}/compliance-report/history?days=${days}`).set(org.auth);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'validation_failed', message: expect.stringContaining('days') });
    }
  });
});

describe('GET /v1/orgs/:orgId/compliance-report/history', () => {
  it('serves the daily snapshots oldest first', async () => {
    const org = await createOrg(s.orgUrl, s.platformKey);
    const today = new Date().toISOString().slice(0, 10);
    const yesterday = new Date(Date.now() - 24 * HOUR).toISOString().slice(0, 10);
    const old = new Date(Date.now() - 40 * 24 * HOUR).toISOString().slice(0, 10);
    const byState = { not_required: 0, pending: 1, compliant: 3, non_compliant: 0, exempt: 0 };
    for (const date of [today, old, yesterday]) {
      await db.query(
        `INSERT INTO accounts.compliance_snapshots (org_id, date, total, by_state, compliant_percent) VALUES ($1, $2, 4, $3, 75)`,
        [org.id, date, JSON.stringify(byState)],
      );
    }
    const res = await http().get(`/v1/orgs/${org.id}/compliance-report/history`).set(org.auth);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      items: [
        { date: yesterday, total: 4, byState, compliantPercent: 75 },
        { date: today, total: 4, byState, compliantPercent: 75 },
      ],
    });
    const week = await http().get(`/v1/orgs/${org.id}/compliance-report/history?days=366`).set(org.auth);
    expect(week.body.items.map((i: { date: string }) => i.date)).toEqual([old, yesterday, today]);
  });
});
