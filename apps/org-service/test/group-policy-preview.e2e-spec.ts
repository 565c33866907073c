/**
 * The policy preview of an org that has group policies, and of one group's policy
 * (`groupId`), end to end (org-service HTTP -> bus -> account-service -> Postgres), and the proof
 * that the figures are what the PUT then does: the same body is PUT, its rollout completes, and
 * the compliance report read at the same clock times gives the same states and blocking days.
 * One FixedClock for the three services.
 */
import request from 'supertest';
import { DataSource } from 'typeorm';
import { FixedClock } from '@mfa/clock';
import { type ComplianceRow, type EnforcementState, InternalPatterns, type PolicyPreview, type PolicyRollout } from '@mfa/contracts';
import { addMembers, createOrg, startTestServices, type TestOrg, type TestServices, waitFor } from '@test/support';

const H = 3_600_000;
const D = 24 * H;

const clock = new FixedClock();
let s: TestServices;
let db: DataSource;
const http = () => request(s.orgUrl);

beforeAll(async () => {
  s = await startTestServices({ clock, env: { OUTBOX_RELAY_INTERVAL_MS: '200', ROLLOUT_STALE_SECONDS: '2' } });
  db = s.account.app.get(DataSource);
});
afterAll(async () => {
  await s?.close();
});
beforeEach(() => clock.set(Date.now()));

const preview = (org: TestOrg, body: object, auth = org.auth) => http().post(`/v1/orgs/${org.id}/mfa-policy/preview`).set(auth).send(body);

async function completed(org: TestOrg, res: request.Response): Promise<{ policy: { version: number; updatedAt: string } }> {
  expect([res.status, res.body.code]).toEqual([202, undefined]);
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
const putOrg = async (org: TestOrg, body: object) =>
  completed(org, await http().put(`/v1/orgs/${org.id}/mfa-policy`).set(org.auth).send(body));
const putGroup = async (org: TestOrg, groupId: string, body: object) =>
  completed(org, await http().put(`/v1/orgs/${org.id}/groups/${groupId}/mfa-policy`).set(org.auth).send(body));

async function createGroup(org: TestOrg, name: string, members: string[]): Promise<string> {
  const created = await http().post(`/v1/orgs/${org.id}/groups`).set(org.auth).send({ name });
  expect(created.status).toBe(201);
  if (members.length) {
    const res = await http().put(`/v1/orgs/${org.id}/groups/${created.body.id}/members`).set(org.auth).send({ add: members });
    expect(res.status).toBe(200);
  }
  return created.body.id;
}

/** The compliance report's rows of `ids` (every member when absent) at clock time `at`. */
async function reportAt(orgId: string, at: Date, ids?: Set<string>): Promise<ComplianceRow[]> {
  clock.set(at);
  const rows: ComplianceRow[] = [];
  let cursor: string | undefined;
  do {
    const page = await s.bus.send(InternalPatterns.AccountsCompliancePage, { orgId, limit: 5000, ...(cursor ? { cursor } : {}) });
    rows.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return ids ? rows.filter((r) => ids.has(r.accountId)) : rows;
}

function countStates(rows: ComplianceRow[]): Record<EnforcementState, number> {
  const out: Record<EnforcementState, number> = { not_required: 0, pending: 0, compliant: 0, non_compliant: 0, exempt: 0 };
  for (const r of rows) out[r.state]++;
  return out;
}
const dayStart = (date: string) => new Date(`${date}T00:00:00.000Z`);

/** Member facts of every kind, deadlines spread over days on both sides of T. */
async function spreadFacts(ids: string[], R: number, T: Date): Promise<void> {
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
    const cols = Object.keys(set);
    await db.query(`UPDATE accounts.accounts SET ${cols.map((c, j) => `${c} = $${j + 2}`).join(', ')} WHERE id = $1`, [
      id,
      ...cols.map((c) => set[c]),
    ]);
  }
}

/**
 * The preview `p` (taken at T) against the report after the PUT: the states at T, the
 * non_compliant count at the start and end of every listed day, and the sample as the report shows it.
 */
async function expectPreviewIsWhatThePutDid(orgId: string, p: PolicyPreview, T: Date, ids: Set<string>, nowRows: ComplianceRow[]) {
  const afterRows = await reportAt(orgId, T, ids);
  expect(p.members.total).toBe(ids.size);
  expect(p.members.byStateNow).toEqual(countStates(nowRows));
  expect(countStates(afterRows)).toEqual(p.members.byStateAfter);
  const blocked = p.members.byStateAfter.pending + p.members.byStateAfter.exempt + p.members.byStateAfter.non_compliant;
  expect(p.blockedAt.reduce((n, d) => n + d.count, 0) + p.blockedLater).toBe(blocked);
  const nonCompliantAt = async (at: Date) => countStates(await reportAt(orgId, at, ids)).non_compliant;
  let cumulative = 0;
  expect(await nonCompliantAt(T)).toBe(p.members.byStateAfter.non_compliant);
  for (const [i, d] of p.blockedAt.entries()) {
    if (i > 0)
      expect([d.date, 'start', await nonCompliantAt(new Date(dayStart(d.date).getTime() - 1))]).toEqual([d.date, 'start', cumulative]);
    cumulative += d.count;
    expect([d.date, 'end', await nonCompliantAt(new Date(dayStart(d.date).getTime() + D - 1))]).toEqual([d.date, 'end', cumulative]);
  }
  expect(await nonCompliantAt(new Date(T.getTime() + 3650 * D))).toBe(blocked);
  const stateNow = new Map(nowRows.map((r) => [r.accountId, r.state]));
  const byId = new Map(afterRows.map((r) => [r.accountId, r]));
  for (const m of p.sample) {
    const row = byId.get(m.id)!;
    expect([m.id, m.enforcement.state, m.enforcement.graceDeadline, m.enforcement.exemptUntil, m.enforcement.groups]).toEqual([
      m.id,
      row.state,
      row.graceDeadline,
      row.exemptUntil,
      row.groups,
    ]);
    expect([m.id, m.stateNow]).toEqual([m.id, stateNow.get(m.id)]);
  }
}

describe('policy preview with groups', () => {
  let org: TestOrg;
  let ids: string[];
  let admins: string;
  let contractors: string;
  let adminIds: Set<string>;
  let R: number;

  beforeAll(async () => {
    org = await createOrg(s.orgUrl, s.platformKey);
    await addMembers(s.orgUrl, org, 64);
    ids = (await db.query(`SELECT id FROM accounts.accounts WHERE org_id = $1 ORDER BY id`, [org.id])).map((r: { id: string }) => r.id);
    // admins: the first 24; contractors: 16 to 39 (8 in both), with a stricter group policy of their own
    adminIds = new Set(ids.slice(0, 24));
    admins = await createGroup(org, 'admins', ids.slice(0, 24));
    contractors = await createGroup(org, 'contractors', ids.slice(16, 40));
    const v1 = await putOrg(org, { requireMfa: true, gracePeriodHours: 120, allowedMethods: ['totp', 'sms', 'webauthn'] });
    R = new Date(v1.policy.updatedAt).getTime();
    await putGroup(org, admins, { requireMfa: true, gracePeriodHours: 24, allowedMethods: ['totp', 'sms', 'webauthn'] });
    await putGroup(org, contractors, {
      requireMfa: true,
      gracePeriodHours: 48,
      allowedMethods: ['totp', 'webauthn'],
      secureMethodsOnly: true,
    });
  });

  it("a group's preview counts only its members, with the proposal in place of its policy, and equals what the PUT then does", async () => {
    const T = new Date(R + 5 * D + 3 * H);
    await spreadFacts(ids, R, T);
    const body = { requireMfa: true, gracePeriodHours: 96, allowedMethods: ['totp', 'webauthn'], secureMethodsOnly: true };
    const nowRows = await reportAt(org.id, T, adminIds);
    clock.set(T);
    const res = await preview(org, { ...body, groupId: admins });
    expect(res.status).toBe(200);
    const p = res.body as PolicyPreview;
    expect(p.at).toBe(T.toISOString());
    expect(p.members.total).toBe(24);
    expect(p.members.byStateAfter).not.toEqual(p.members.byStateNow);
    expect(p.sample.every((m) => adminIds.has(m.id))).toBe(true);
    // nothing written: the group is still at v1
    expect(
      (await http().get(`/v1/orgs/${org.id}/groups`).set(org.auth)).body.items.find((g: { id: string }) => g.id === admins).policy,
    ).toMatchObject({ version: 1 });
    clock.set(Date.now());
    await putGroup(org, admins, body);
    await expectPreviewIsWhatThePutDid(org.id, p, T, adminIds, nowRows);
  });

  it('the org preview of an org with group policies judges each member under its effective policy, and equals what the PUT then does', async () => {
    const T = new Date(R + 4 * D + 7 * H);
    const body = { requireMfa: true, gracePeriodHours: 60, allowedMethods: ['totp', 'webauthn'] };
    const all = new Set(ids);
    const nowRows = await reportAt(org.id, T);
    clock.set(T);
    const res = await preview(org, body);
    expect(res.status).toBe(200);
    const p = res.body as PolicyPreview;
    expect(p.members.total).toBe(64);
    // a group member's deadline is its group's when earlier than the org's: the org alone would say otherwise
    expect(p.sample.some((m) => (m.enforcement.groups ?? []).length > 0)).toBe(true);
    clock.set(Date.now());
    await putOrg(org, body);
    await expectPreviewIsWhatThePutDid(org.id, p, T, all, nowRows);
  });

  it('a proposal the PUT would refuse (no method in common with a policy some member is also under) is refused the same way', async () => {
    const body = { requireMfa: true, gracePeriodHours: 1, allowedMethods: ['sms'] };
    const put = await http().put(`/v1/orgs/${org.id}/groups/${admins}/mfa-policy`).set(org.auth).send(body);
    const pre = await preview(org, { ...body, groupId: admins });
    expect([pre.status, pre.body.code]).toEqual([400, 'validation_failed']);
    expect([pre.body.message, pre.body.details]).toEqual([put.body.message, put.body.details]);
    expect(pre.body.message).toContain(contractors);
    expect(pre.body.details.map((d: { field: string }) => d.field)).toEqual(['allowedMethods']);
    // the org's own: against every group policy that applies to someone
    const orgPut = await http().put(`/v1/orgs/${org.id}/mfa-policy`).set(org.auth).send(body);
    const orgPre = await preview(org, body);
    expect([orgPre.status, orgPre.body.code, orgPre.body.message]).toEqual([400, 'validation_failed', orgPut.body.message]);
  });

  it("a group of another org, or no group at all, is not_found (never another org's count); no key is unauthenticated", async () => {
    const other = await createOrg(s.orgUrl, s.platformKey);
    await addMembers(s.orgUrl, other, 3);
    const theirs = await createGroup(other, 'theirs', []);
    const body = { requireMfa: true, gracePeriodHours: 1, allowedMethods: ['totp'] };
    for (const groupId of [theirs, '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b']) {
      const res = await preview(org, { ...body, groupId });
      expect([res.status, res.body.code]).toEqual([404, 'not_found']);
    }
    // the other org's key on this org's group
    const cross = await preview(org, { ...body, groupId: admins }, other.auth);
    expect([cross.status, cross.body.code]).toEqual([404, 'not_found']);
    // straight on the bus too (account-service checks the group's org itself)
    const bus = await s.bus
      .send(InternalPatterns.AccountsPolicyPreview, { orgId: org.id, groupId: theirs, policy: { requireMfa: true, gracePeriodHours: 1 } })
      .then(
        () => null,
        (e: { code: string }) => e.code,
      );
    expect(bus).toBe('not_found');
    const none = await http()
      .post(`/v1/orgs/${org.id}/mfa-policy/preview`)
      .send({ ...body, groupId: admins });
    expect([none.status, none.body.code]).toEqual([401, 'unauthenticated']);
  });

  it('hostile input: a huge or malformed groupId is validation_failed naming it, never a 500', async () => {
    const body = { requireMfa: true, gracePeriodHours: 1, allowedMethods: ['totp'] };
    const huge = await preview(org, { ...body, groupId: 'x'.repeat(2 * 1024 * 1024) });
    expect([huge.status, huge.body.code]).toEqual([413, 'validation_failed']);
    for (const groupId of ['x'.repeat(10_000), "' OR 1=1 --", 42, [admins], { id: admins }]) {
      const res = await preview(org, { ...body, groupId });
      expect([res.status, res.body.code]).toEqual([400, 'validation_failed']);
      expect(res.body.details.map((d: { field: string }) => d.field)).toContain('groupId');
    }
    expect((await preview(org, { ...body, groupId: admins })).status).toBe(200);
    // null is "no group": the org's preview
    expect((await preview(org, { ...body, groupId: null })).body.members.total).toBe(64);
  });

  it('a group without a policy: turning one on counts its members required from now; an empty group answers zeros', async () => {
    const fresh = await createGroup(org, 'fresh', ids.slice(40, 44));
    const empty = await createGroup(org, 'empty', []);
    const res = await preview(org, { requireMfa: true, gracePeriodHours: 0, allowedMethods: ['totp', 'webauthn'], groupId: fresh });
    expect(res.status).toBe(200);
    expect(res.body.members.total).toBe(4);
    const zero = await preview(org, { requireMfa: true, gracePeriodHours: 0, allowedMethods: ['totp'], groupId: empty });
    expect(zero.body).toMatchObject({ members: { total: 0 }, blockedAt: [], blockedLater: 0, sample: [] });
  });
});
