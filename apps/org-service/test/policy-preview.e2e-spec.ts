/**
 * POST /v1/orgs/:orgId/mfa-policy/preview end to end (org-service HTTP -> bus -> account-service
 * -> Postgres), and the proof that its figures are what the policy then does: the same policy
 * is PUT, its rollout completes, and the compliance report read at the same injected clock
 * times gives the same states and the same blocking days.
 */
import request from 'supertest';
import { DataSource } from 'typeorm';
import { Clock } from '@mfa/clock';
import { type ComplianceRow, type EnforcementState, InternalPatterns, type PolicyPreview, type PolicyRollout } from '@mfa/contracts';
import { addMembers, bearer, createApiKey, createOrg, startTestServices, type TestOrg, type TestServices, waitFor } from '@test/support';

const H = 3_600_000;
const D = 24 * H;

let s: TestServices;
let db: DataSource;
/** account-service's clock (the compliance module's): the preview and the report read it */
let clockAt: Date | null = null;
const http = () => request(s.orgUrl);

beforeAll(async () => {
  s = await startTestServices({ env: { OUTBOX_RELAY_INTERVAL_MS: '200', ROLLOUT_STALE_SECONDS: '2' } });
  db = s.account.app.get(DataSource);
  const clock = s.account.app.get(Clock);
  const real = clock.now.bind(clock);
  jest.spyOn(clock, 'now').mockImplementation(() => (clockAt ? new Date(clockAt.getTime()) : real()));
});
afterAll(async () => {
  await s?.close();
});
afterEach(() => {
  clockAt = null;
});

const preview = (org: TestOrg, body: object, auth = org.auth) => http().post(`/v1/orgs/${org.id}/mfa-policy/preview`).set(auth).send(body);

async function putAndComplete(org: TestOrg, body: object): Promise<{ policy: { version: number; updatedAt: string } }> {
  const res = await http().put(`/v1/orgs/${org.id}/mfa-policy`).set(org.auth).send(body);
  expect(res.status).toBe(202);
  await waitFor(
    async () => {
      const r = await http()
        .get(`/v1/orgs/${org.id}/rollouts/${(res.body.rollout as PolicyRollout).id}`)
        .set(org.auth);
      return r.body.status === 'completed' ? true : null;
    },
    20_000,
    50,
  );
  return res.body;
}

/** Every member's row of the compliance report (accounts.internal.compliance.page) at clock time `at`. */
async function reportAt(orgId: string, at: Date): Promise<ComplianceRow[]> {
  clockAt = at;
  const rows: ComplianceRow[] = [];
  let cursor: string | undefined;
  do {
    const page = await s.bus.send(InternalPatterns.AccountsCompliancePage, { orgId, limit: 5000, ...(cursor ? { cursor } : {}) });
    rows.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return rows;
}

function countStates(rows: ComplianceRow[]): Record<EnforcementState, number> {
  const out: Record<EnforcementState, number> = { not_required: 0, pending: 0, compliant: 0, non_compliant: 0, exempt: 0 };
  for (const r of rows) out[r.state]++;
  return out;
}

const nonCompliantAt = async (orgId: string, at: Date) => countStates(await reportAt(orgId, at)).non_compliant;
const dayStart = (date: string) => new Date(`${date}T00:00:00.000Z`);

/** Everything about the org's members a write could change. */
async function fingerprint(orgId: string): Promise<string> {
  const [r] = await db.query(`SELECT md5(string_agg(t::text, ',' ORDER BY t.id)) AS h FROM accounts.accounts t WHERE t.org_id = $1`, [
    orgId,
  ]);
  const [p] = await db.query(`SELECT md5(coalesce((SELECT t::text FROM accounts.org_policies t WHERE org_id = $1), '')) AS h`, [orgId]);
  return `${r.h}/${p.h}`;
}

describe('POST /v1/orgs/:orgId/mfa-policy/preview', () => {
  it('equals what the policy then does: states after, and the day each member is blocked (compliance report at the same clock times)', async () => {
    const org = await createOrg(s.orgUrl, s.platformKey);
    await addMembers(s.orgUrl, org, 48);
    // v1: MFA required, 24 h grace; R is its requiredSince, which v2 keeps (MFA stays required)
    const v1 = await putAndComplete(org, { requireMfa: true, gracePeriodHours: 24, allowedMethods: ['totp', 'sms'] });
    const R = new Date(v1.policy.updatedAt).getTime();
    const T = new Date(R + 5 * D + 3 * H); // the injected clock: 5 days and 3 hours after v1
    const ids: string[] = (await db.query(`SELECT id FROM accounts.accounts WHERE org_id = $1 ORDER BY id`, [org.id])).map(
      (r: { id: string }) => r.id,
    );
    // members of every kind, deadlines spread over several days on both sides of T
    for (const [i, id] of ids.entries()) {
      const kind = i % 8;
      const set: Record<string, unknown> = { created_at: new Date(R - 100 * H) };
      if (kind === 0) Object.assign(set, { active_device_count: 1, secure_active_device_count: 1 });
      if (kind === 1) Object.assign(set, { active_device_count: 1, secure_active_device_count: 0 }); // SMS only
      if (kind === 2) set.created_at = new Date(R + 1 * D + i * H);
      if (kind === 3) set.created_at = new Date(R + 3 * D + i * 2 * H);
      if (kind === 4) Object.assign(set, { exempt_until: new Date(T.getTime() + 2 * D + i * H), exempt_reason: 'travel' });
      if (kind === 5)
        Object.assign(set, { exempt_until: new Date(T.getTime() + 12 * D), exempt_reason: 'leave', created_at: new Date(R + 4 * D) });
      if (kind === 6) set.grace_anchor_at = new Date(R + 4 * D + 12 * H);
      if (kind === 7 && i > 20) Object.assign(set, { exempt_until: new Date(T.getTime() - H), exempt_reason: 'over' });
      const cols = Object.keys(set);
      await db.query(`UPDATE accounts.accounts SET ${cols.map((c, j) => `${c} = $${j + 2}`).join(', ')} WHERE id = $1`, [
        id,
        ...cols.map((c) => set[c]),
      ]);
    }

    const v2 = { requireMfa: true, gracePeriodHours: 72, allowedMethods: ['totp'], secureMethodsOnly: true };
    const before = await fingerprint(org.id);
    clockAt = T;
    const res = await preview(org, v2);
    expect(res.status).toBe(200);
    const p = res.body as PolicyPreview;
    expect(await fingerprint(org.id)).toBe(before); // nothing written
    expect((await http().get(`/v1/orgs/${org.id}/mfa-policy`).set(org.auth)).body.version).toBe(1);
    expect(p.at).toBe(T.toISOString());
    expect(p.members.total).toBe(48);
    // now: the compliance report under v1 at T
    const nowRows = await reportAt(org.id, T);
    expect(p.members.byStateNow).toEqual(countStates(nowRows));
    const stateNow = new Map(nowRows.map((r) => [r.accountId, r.state]));
    const blocked = p.members.byStateAfter.pending + p.members.byStateAfter.exempt + p.members.byStateAfter.non_compliant;
    expect(p.blockedAt.reduce((n, d) => n + d.count, 0)).toBe(blocked);
    expect(p.blockedLater).toBe(0);
    expect(p.blockedAt.length).toBeGreaterThanOrEqual(5); // the data spreads over days
    expect(p.blockedAt[0].date).toBe(T.toISOString().slice(0, 10)); // today holds those blocked at once
    expect(p.sample).toHaveLength(20);

    // the same policy, PUT; the rollout completes; the report at the same clock times
    const put = await putAndComplete(org, v2);
    expect(put.policy.version).toBe(2);
    const afterRows = await reportAt(org.id, T);
    expect(countStates(afterRows)).toEqual(p.members.byStateAfter);
    expect(p.members.byStateAfter).not.toEqual(p.members.byStateNow);

    // blockedAt: at the end of each listed day, the members non_compliant are those listed up to it;
    // at the start of each later day, those listed before it
    let cumulative = 0;
    expect(await nonCompliantAt(org.id, T)).toBe(p.members.byStateAfter.non_compliant);
    for (const [i, d] of p.blockedAt.entries()) {
      if (i > 0)
        expect([d.date, 'start', await nonCompliantAt(org.id, new Date(dayStart(d.date).getTime() - 1))]).toEqual([
          d.date,
          'start',
          cumulative,
        ]);
      cumulative += d.count;
      expect([d.date, 'end', await nonCompliantAt(org.id, new Date(dayStart(d.date).getTime() + D - 1))]).toEqual([
        d.date,
        'end',
        cumulative,
      ]);
    }
    expect(await nonCompliantAt(org.id, new Date(T.getTime() + 3650 * D))).toBe(blocked);

    // the sample: blocked soonest first, each as the report shows it under v2 at T
    const byId = new Map(afterRows.map((r) => [r.accountId, r]));
    const times = p.sample.map((m) => new Date(m.blockedAt).getTime());
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    for (const m of p.sample) {
      const row = byId.get(m.id)!;
      expect([m.id, m.enforcement.state, m.enforcement.graceDeadline, m.enforcement.exemptUntil, m.enforcement.policyVersion]).toEqual([
        m.id,
        row.state,
        row.graceDeadline,
        row.exemptUntil,
        2,
      ]);
      expect([m.id, m.stateNow]).toEqual([m.id, stateNow.get(m.id)]);
      expect(Object.keys(m).sort()).toEqual([
        'blockedAt',
        'createdAt',
        'displayName',
        'email',
        'enforcement',
        'externalId',
        'id',
        'orgId',
        'stateNow',
      ]);
    }
    // every member not in the sample is blocked no sooner than the sample's last
    const last = times[times.length - 1];
    const sampled = new Set(p.sample.map((m) => m.id));
    const allBlocked = afterRows.filter((r) => !sampled.has(r.accountId) && ['pending', 'exempt', 'non_compliant'].includes(r.state));
    for (const r of allBlocked) {
      const when = Math.max(new Date(r.graceDeadline!).getTime(), r.exemptUntil ? new Date(r.exemptUntil).getTime() : 0, T.getTime());
      expect(when).toBeGreaterThanOrEqual(last);
    }
  });

  it('turning MFA on: required from now, so a 0 h grace blocks every member without a device today', async () => {
    const org = await createOrg(s.orgUrl, s.platformKey);
    await addMembers(s.orgUrl, org, 3);
    clockAt = new Date('2031-03-04T05:06:07.000Z');
    const res = await preview(org, { requireMfa: true, gracePeriodHours: 0, allowedMethods: ['totp'] });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      at: '2031-03-04T05:06:07.000Z',
      members: {
        total: 3,
        byStateNow: { not_required: 3, pending: 0, compliant: 0, non_compliant: 0, exempt: 0 },
        byStateAfter: { not_required: 0, pending: 0, compliant: 0, non_compliant: 3, exempt: 0 },
      },
      blockedAt: [{ date: '2031-03-04', count: 3 }],
      blockedLater: 0,
    });
    expect(res.body.sample.map((m: { blockedAt: string; enforcement: { state: string } }) => [m.blockedAt, m.enforcement.state])).toEqual(
      Array(3).fill(['2031-03-04T05:06:07.000Z', 'non_compliant']),
    );
    // a grace of 48 h: pending now, blocked the day after tomorrow
    const later = await preview(org, { requireMfa: true, gracePeriodHours: 48, allowedMethods: ['totp'] });
    expect(later.body.blockedAt).toEqual([{ date: '2031-03-06', count: 3 }]);
    expect(later.body.members.byStateAfter.pending).toBe(3);
    // turning it off blocks nobody
    const off = await preview(org, { requireMfa: false, gracePeriodHours: 0, allowedMethods: ['totp'] });
    expect(off.body).toMatchObject({ blockedAt: [], blockedLater: 0, sample: [] });
  });

  it('an empty org answers zeros', async () => {
    const org = await createOrg(s.orgUrl, s.platformKey);
    const res = await preview(org, { requireMfa: true, gracePeriodHours: 0, allowedMethods: ['totp'] });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ members: { total: 0 }, blockedAt: [], blockedLater: 0, sample: [] });
  });

  it('an auditor key may preview (it changes nothing); the platform key may not; no audit event', async () => {
    const org = await createOrg(s.orgUrl, s.platformKey);
    const auditor = bearer((await createApiKey(s.orgUrl, org, 'auditor')).key);
    const events = async () => (await http().get(`/v1/orgs/${org.id}/audit-events?limit=1000`).set(org.auth)).body.items.length;
    const n = await events();
    expect((await preview(org, { requireMfa: true, gracePeriodHours: 1, allowedMethods: ['totp'] }, auditor)).status).toBe(200);
    expect(await events()).toBe(n);
    const platform = await preview(org, { requireMfa: true, gracePeriodHours: 1, allowedMethods: ['totp'] }, bearer(s.platformKey));
    expect([platform.status, platform.body.code]).toEqual([403, 'forbidden']);
  });

  it("another org's key gets not_found; no key or a wrong key gets unauthenticated", async () => {
    const org = await createOrg(s.orgUrl, s.platformKey);
    const other = await createOrg(s.orgUrl, s.platformKey);
    const body = { requireMfa: true, gracePeriodHours: 1, allowedMethods: ['totp'] };
    const cross = await preview(org, body, other.auth);
    expect([cross.status, cross.body.code]).toEqual([404, 'not_found']);
    const none = await http().post(`/v1/orgs/${org.id}/mfa-policy/preview`).send(body);
    expect([none.status, none.body.code]).toEqual([401, 'unauthenticated']);
    const wrong = await preview(org, body, bearer('mfak_00000000-0000-4000-8000-000000000000_' + 'x'.repeat(43)));
    expect([wrong.status, wrong.body.code]).toEqual([401, 'unauthenticated']);
  });

  it.each<[string, object, string]>([
    ['requireMfa missing', { gracePeriodHours: 1, allowedMethods: ['totp'] }, 'requireMfa'],
    ['gracePeriodHours out of range', { requireMfa: true, gracePeriodHours: 9000, allowedMethods: ['totp'] }, 'gracePeriodHours'],
    [
      'gracePeriodHours not an integer',
      { requireMfa: true, gracePeriodHours: '1; DROP TABLE x', allowedMethods: ['totp'] },
      'gracePeriodHours',
    ],
    ['an unknown method', { requireMfa: true, gracePeriodHours: 1, allowedMethods: ['carrier-pigeon'] }, 'allowedMethods'],
    ['no method', { requireMfa: true, gracePeriodHours: 1, allowedMethods: [] }, 'allowedMethods'],
    ['an unknown field', { requireMfa: true, gracePeriodHours: 1, allowedMethods: ['totp'], admins: true }, 'admins'],
    ['groupId not a uuid', { requireMfa: true, gracePeriodHours: 1, allowedMethods: ['totp'], groupId: 'admins' }, 'groupId'],
    [
      'maxMfaAgeSeconds too small',
      { requireMfa: true, gracePeriodHours: 1, allowedMethods: ['totp'], maxMfaAgeSeconds: 5 },
      'maxMfaAgeSeconds',
    ],
  ])('bad input (%s) is validation_failed naming the field', async (_name, body, field) => {
    const org = await createOrg(s.orgUrl, s.platformKey);
    const res = await preview(org, body);
    expect([res.status, res.body.code]).toEqual([400, 'validation_failed']);
    expect(res.body.details.map((d: { field: string }) => d.field)).toContain(field);
    expect(res.body.message).toContain(field);
  });

  it('a flood of previews from one auditor key is refused rate_limited beyond 1 in flight per account-service instance', async () => {
    // unbounded, 20 in flight over 300,000 members took another org's accounts.authorize from 3 ms to 3 s (pool exhausted)
    const org = await createOrg(s.orgUrl, s.platformKey);
    await db.query(
      `INSERT INTO accounts.accounts (org_id, email) SELECT $1, 'flood' || g || '@example.test' FROM generate_series(1, 100000) g`,
      [org.id],
    );
    const auditor = bearer((await createApiKey(s.orgUrl, org, 'auditor')).key);
    const body = { requireMfa: true, gracePeriodHours: 1, allowedMethods: ['totp'] };
    const answers = await Promise.all(Array.from({ length: 12 }, () => preview(org, body, auditor)));
    const byStatus = answers.reduce<Record<number, number>>((n, r) => ({ ...n, [r.status]: (n[r.status] ?? 0) + 1 }), {});
    expect(Object.keys(byStatus).sort()).toEqual(['200', '429']);
    expect(byStatus[200]).toBeGreaterThanOrEqual(1);
    const refused = answers.find((r) => r.status === 429)!;
    expect(refused.body).toMatchObject({
      code: 'rate_limited',
      message: 'another policy preview is being computed; retry in a few seconds',
    });
    // and the limit is freed: one at a time is always answered
    expect((await preview(org, body, auditor)).status).toBe(200);
  });

  it('a groupId that is no group of the org is not_found (group previews: group-policy-preview.e2e-spec.ts)', async () => {
    const org = await createOrg(s.orgUrl, s.platformKey);
    const res = await preview(org, {
      requireMfa: true,
      gracePeriodHours: 1,
      allowedMethods: ['totp'],
      groupId: '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b',
    });
    expect([res.status, res.body.code]).toEqual([404, 'not_found']);
  });

  it('hostile sizes: a 1 MB body and 10,000 allowedMethods are refused without a 500, and the service keeps answering', async () => {
    const org = await createOrg(s.orgUrl, s.platformKey);
    const big = await http()
      .post(`/v1/orgs/${org.id}/mfa-policy/preview`)
      .set(org.auth)
      .set('content-type', 'application/json')
      .send(JSON.stringify({ requireMfa: true, gracePeriodHours: 1, allowedMethods: ['totp'], pad: 'x'.repeat(1024 * 1024) }));
    expect([big.status, big.body.code]).toEqual([413, 'validation_failed']);
    const many = await preview(org, { requireMfa: true, gracePeriodHours: 1, allowedMethods: Array(10_000).fill('totp') });
    expect([many.status, many.body.code]).toEqual([413, 'validation_failed']);
    // under the size limit, still refused by the DTO (duplicates), naming the field
    const dup = await preview(org, { requireMfa: true, gracePeriodHours: 1, allowedMethods: Array(5_000).fill('totp') });
    expect([dup.status, dup.body.code]).toEqual([400, 'validation_failed']);
    expect(dup.body.message).toContain('allowedMethods');
    const deep = await http()
      .post(`/v1/orgs/${org.id}/mfa-policy/preview`)
      .set(org.auth)
      .set('content-type', 'application/json')
      .send(`{"requireMfa":true,"gracePeriodHours":1,"allowedMethods":["totp"],"x":${'['.repeat(5000)}${']'.repeat(5000)}}`);
    expect([deep.status, deep.body.code]).toEqual([400, 'validation_failed']);
    expect((await preview(org, { requireMfa: true, gracePeriodHours: 1, allowedMethods: ['totp'] })).status).toBe(200);
  });

  it('on the bus: bad payloads are validation_failed naming the field', async () => {
    const org = await createOrg(s.orgUrl, s.platformKey);
    const send = (data: unknown) =>
      s.bus.send(InternalPatterns.AccountsPolicyPreview, data as never).then(
        () => null,
        (e: { code: string; details?: Array<{ field: string }> }) => [e.code, e.details?.map((d) => d.field)],
      );
    expect(await send({ orgId: org.id, policy: { requireMfa: true, gracePeriodHours: -1 } })).toEqual([
      'validation_failed',
      ['policy.gracePeriodHours'],
    ]);
    expect(await send({ orgId: 'nope', policy: { requireMfa: true, gracePeriodHours: 1 } })).toEqual(['validation_failed', ['orgId']]);
    expect(await send({ orgId: org.id, policy: [] })).toEqual(['validation_failed', ['policy']]);
    expect(await send({ orgId: org.id, policy: { requireMfa: true, gracePeriodHours: 1 }, groupId: 'admins' })).toEqual([
      'validation_failed',
      ['groupId'],
    ]);
    expect(await send({ orgId: org.id, policy: { requireMfa: true, gracePeriodHours: 1 }, groupId: org.id })).toEqual([
      'not_found',
      undefined,
    ]);
  });
});
