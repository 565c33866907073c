/**
 * Groups attacked from outside (2026-11-30): races and orders of admin calls that used to leave a
 * member under a weaker or impossible effective policy than the org's and its groups' policies say.
 * org-service HTTP + account-service over the real bus (Redis database from TEST_REDIS_DB).
 */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import type { AuthorizeReply, Group, Member } from '@mfa/contracts';
import { createOrg, startTestServices, type TestOrg, type TestServices, waitFor } from '@test/support';
import { GroupPolicyRepository } from '../../account-service/src/enforcement/group-policy.repository';

let s: TestServices;
let db: DataSource;

const http = () => request(s.orgUrl);
const authorize = (accountId: string): Promise<AuthorizeReply> => s.bus.send('accounts.authorize', { accountId });
const member = async (o: TestOrg, id: string): Promise<Member> => (await http().get(`/v1/orgs/${o.id}/members/${id}`).set(o.auth)).body;

async function createGroup(o: TestOrg): Promise<Group> {
  const res = await http()
    .post(`/v1/orgs/${o.id}/groups`)
    .set(o.auth)
    .send({ name: `g-${randomUUID().slice(0, 8)}` });
  expect(res.status).toBe(201);
  return res.body;
}

async function seedMembers(o: TestOrg, n: number): Promise<string[]> {
  const rows: Array<{ id: string }> = await db.query(
    `INSERT INTO accounts.accounts (org_id, email) SELECT $1, 'a' || g || '-' || $3 || '@attack.test' FROM generate_series(1, $2) g RETURNING id`,
    [o.id, n, randomUUID().slice(0, 8)],
  );
  return rows.map((r) => r.id);
}

async function put(o: TestOrg, path: string, body: object): Promise<request.Response> {
  return http().put(`/v1/orgs/${o.id}${path}`).set(o.auth).send(body);
}

beforeAll(async () => {
  s = await startTestServices({ env: { OUTBOX_RELAY_INTERVAL_MS: '200' } });
  db = s.org.app.get(DataSource);
});
afterAll(async () => {
  await s?.close();
});

describe('groups: races and orders that weakened or emptied the effective policy', () => {
  it("deleting one group while another group's policy commits does not switch every group policy of the org off", async () => {
    const org = await createOrg(s.orgUrl, s.platformKey);
    const [x, y] = await seedMembers(org, 2);
    const a = await createGroup(org);
    const b = await createGroup(org);
    expect((await put(org, `/groups/${a.id}/members`, { add: [x] })).status).toBe(200);
    expect((await put(org, `/groups/${b.id}/members`, { add: [y] })).status).toBe(200);
    expect(
      (await put(org, `/groups/${a.id}/mfa-policy`, { requireMfa: true, gracePeriodHours: 0, allowedMethods: ['totp', 'sms', 'webauthn'] }))
        .status,
    ).toBe(202);
    // B's policy being applied by account-service: stored and the org's flag touched (already
    // true: A has a policy), not yet committed
    const qr = db.createQueryRunner();
    await qr.connect();
    await qr.startTransaction();
    let deleting: Promise<request.Response> | undefined;
    try {
      await qr.query(
        `INSERT INTO accounts.group_policies (group_id, org_id, version, require_mfa, grace_period_hours, allowed_methods, max_mfa_age_seconds,
           secure_methods_only, conditions, required_since, policy_updated_at, updated_at)
         VALUES ($1, $2, 1, true, 0, '{totp,sms,webauthn}', NULL, false, '[]'::jsonb, now(), now(), now())`,
        [b.id, org.id],
      );
      await s.account.app.get(GroupPolicyRepository)['raiseOrgFlag'](qr, org.id);
      // meanwhile the admin deletes A: its flag refresh waits for B's transaction
      deleting = http()
        .delete(`/v1/orgs/${org.id}/groups/${a.id}`)
        .set(org.auth)
        .then((r) => r);
      await waitFor(
        async () => {
          const [{ n }] = await db.query(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%accounts.org_policies%'`,
          );
          return n > 0 ? true : null;
        },
        10_000,
        20,
      );
      await qr.commitTransaction();
    } finally {
      if (qr.isTransactionActive) await qr.rollbackTransaction();
      await qr.release();
    }
    expect((await deleting!).status).toBe(204);
    // B's policy (required, 0 h) is in force for y: the org's flag must still say "group policies"
    const [{ has }] = await db.query(`SELECT has_group_policies AS has FROM accounts.org_policies WHERE org_id = $1`, [org.id]);
    expect(has).toBe(true);
    expect((await authorize(y)).enforcement).toMatchObject({ state: 'non_compliant', groups: [b.id] });
    expect((await authorize(x)).enforcement).toMatchObject({ state: 'not_required', groups: [] });
  });

  it("adding members to a group whose policy shares no method with the org's (changed since) is refused, naming add", async () => {
    const org = await createOrg(s.orgUrl, s.platformKey);
    const [x] = await seedMembers(org, 1);
    expect((await put(org, '/mfa-policy', { requireMfa: true, gracePeriodHours: 720, allowedMethods: ['totp', 'sms'] })).status).toBe(202);
    const g = await createGroup(org);
    // an empty group with an SMS-only policy: compatible with the org's today
    expect((await put(org, `/groups/${g.id}/mfa-policy`, { requireMfa: true, gracePeriodHours: 0, allowedMethods: ['sms'] })).status).toBe(
      202,
    );
    // the org drops SMS: no member is under the group's policy yet, so nothing to refuse
    expect((await put(org, '/mfa-policy', { requireMfa: true, gracePeriodHours: 720, allowedMethods: ['totp'] })).status).toBe(202);
    // then adding a member would leave it with no allowed method: refused like a clash with another group
    const res = await put(org, `/groups/${g.id}/members`, { add: [x] });
    expect([res.status, res.body.code, res.body.details?.[0]?.field]).toEqual([400, 'validation_failed', 'add']);
    expect(res.body.message).toContain('org policy');
    expect((await member(org, x)).enforcement).toMatchObject({ groups: [], effectivePolicy: { allowedMethods: ['totp'] } });
  });

  it('concurrent membership changes of two groups over the same members never answer 500', async () => {
    const org = await createOrg(s.orgUrl, s.platformKey);
    const ids = await seedMembers(org, 3000);
    const methods = ['totp', 'sms', 'webauthn'];
    const gs = [await createGroup(org), await createGroup(org), await createGroup(org)];
    for (const g of gs)
      expect(
        (await put(org, `/groups/${g.id}/mfa-policy`, { requireMfa: true, gracePeriodHours: 0, allowedMethods: methods })).status,
      ).toBe(202);
    const statuses: number[] = [];
    for (let round = 0; round < 2; round++) {
      const order = (i: number) => (i % 2 ? [...ids].reverse() : ids);
      const res = await Promise.all([
        ...gs.map((g, i) => put(org, `/groups/${g.id}/members`, round % 2 ? { remove: order(i) } : { add: order(i) })),
      ]);
      statuses.push(...res.map((r) => r.status));
    }
    // and a deletion (its members' snapshots rewritten) beside two additions over the same members
    const last = await Promise.all([
      http().delete(`/v1/orgs/${org.id}/groups/${gs[0].id}`).set(org.auth),
      put(org, `/groups/${gs[1].id}/members`, { add: [...ids].reverse() }),
      put(org, `/groups/${gs[2].id}/members`, { add: ids }),
    ]);
    statuses.push(...last.map((r) => (r.status === 204 ? 200 : r.status)));
    expect(statuses).toEqual(statuses.map(() => 200));
  });
});
