/**
 * History with groups end to end (docs/enforcement.md, "History with groups"): org-service HTTP →
 * account-service's replay over member_events (group_joined / group_left written by the membership
 * statements), org_policy_versions and group_policy_versions (one row per group version), on one
 * FixedClock shared by the three services (time moves, nobody sleeps).
 */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { FixedClock } from '@mfa/clock';
import type { Group, HistoryItem, Member } from '@mfa/contracts';
import { addMember, createOrg, startTestServices, type TestOrg, type TestServices, waitFor } from '@test/support';

const H = 3_600_000;
// ahead of the database's clock, so every row the database stamps (creation, policy time) is in this clock's past
const clock = new FixedClock(new Date(Date.now() + 60_000));

let s: TestServices;
let db: DataSource;
let org: TestOrg;

const http = () => request(s.orgUrl);
const member = async (id: string): Promise<Member> => (await http().get(`/v1/orgs/${org.id}/members/${id}`).set(org.auth)).body;
async function history(accountId: string): Promise<HistoryItem[]> {
  const res = await http().get(`/v1/orgs/${org.id}/members/${accountId}/history`).query({ limit: 1000 }).set(org.auth);
  expect(res.status).toBe(200);
  return res.body.items;
}
/** oldest first, as "cause>to" */
const path = (items: HistoryItem[]) => items.map((i) => `${i.cause.type}>${i.to}`).reverse();

async function createGroup(name: string): Promise<Group> {
  const res = await http().post(`/v1/orgs/${org.id}/groups`).set(org.auth).send({ name });
  expect(res.status).toBe(201);
  return res.body;
}
const members = (groupId: string, body: object) => http().put(`/v1/orgs/${org.id}/groups/${groupId}/members`).set(org.auth).send(body);

/** PUT the group's policy and wait until account-service holds that version (the hand-over). */
async function groupPolicy(groupId: string, body: object): Promise<number> {
  const res = await http().put(`/v1/orgs/${org.id}/groups/${groupId}/mfa-policy`).set(org.auth).send(body);
  expect(res.status).toBe(202);
  const version: number = res.body.policy.version;
  await waitFor(
    async () => {
      const list = await http().get(`/v1/orgs/${org.id}/groups`).query({ limit: 100 }).set(org.auth);
      return (list.body.items as Group[]).find((g) => g.id === groupId)?.policy?.version === version;
    },
    15_000,
    50,
  );
  return version;
}

beforeAll(async () => {
  s = await startTestServices({ clock, env: { OUTBOX_RELAY_INTERVAL_MS: '200' } });
  db = s.org.app.get(DataSource);
  org = await createOrg(s.orgUrl, s.platformKey);
  // the org requires MFA with 30 days of grace
  const put = await http()
    .put(`/v1/orgs/${org.id}/mfa-policy`)
    .set(org.auth)
    .send({ requireMfa: true, gracePeriodHours: 720, allowedMethods: ['totp', 'webauthn'] });
  expect(put.status).toBe(202);
});

afterAll(async () => {
  await s?.close();
});

describe('a member history with groups', () => {
  it('joins a group with a shorter grace: pending with the earlier deadline, blocked when it passes; leaving: back to the org state', async () => {
    const ada = (await addMember(s.orgUrl, org)).id;
    const orgDeadline = (await member(ada)).enforcement.graceDeadline!;
    expect((await member(ada)).enforcement.state).toBe('pending');

    const admins = await createGroup('admins');
    const version = await groupPolicy(admins.id, { requireMfa: true, gracePeriodHours: 24, allowedMethods: ['totp', 'webauthn'] });
    // a version of a group she is not in: not her history
    expect(path(await history(ada))).toEqual(['account_created>pending']);

    clock.advance(H);
    expect((await members(admins.id, { add: [ada] })).status).toBe(200);
    const joined = await member(ada);
    expect(joined.enforcement.state).toBe('pending');
    expect(joined.enforcement.groups).toEqual([admins.id]);
    const groupDeadline = joined.enforcement.graceDeadline!;
    expect(new Date(groupDeadline).getTime()).toBeLessThan(new Date(orgDeadline).getTime());
    expect((await history(ada))[0]).toEqual({
      at: clock.now().toISOString(),
      from: 'pending',
      to: 'pending',
      cause: { type: 'group_joined', id: admins.id },
      graceDeadline: groupDeadline,
    });

    // the group's deadline passes
    clock.advance(24 * H);
    expect((await member(ada)).enforcement.state).toBe('non_compliant');
    expect((await history(ada))[0]).toEqual({
      at: groupDeadline,
      from: 'pending',
      to: 'non_compliant',
      cause: { type: 'deadline_passed' },
      graceDeadline: groupDeadline,
    });

    // she leaves: the org's state and deadline again
    clock.advance(H);
    expect((await members(admins.id, { remove: [ada] })).status).toBe(200);
    const left = await member(ada);
    expect([left.enforcement.state, left.enforcement.graceDeadline]).toEqual(['pending', orgDeadline]);
    const items = await history(ada);
    expect(items[0]).toEqual({
      at: clock.now().toISOString(),
      from: 'non_compliant',
      to: 'pending',
      cause: { type: 'group_left', id: admins.id },
      graceDeadline: orgDeadline,
    });
    expect(path(items)).toEqual(['account_created>pending', 'group_joined>pending', 'deadline_passed>non_compliant', 'group_left>pending']);
    expect(version).toBe(1);
    // one row per group version, none per member
    const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM accounts.group_policy_versions WHERE group_id = $1`, [admins.id]);
    expect(n).toBe(1);
  });

  it('shows a group policy version of one of its groups (id = group:version), and a group deleted as left', async () => {
    const bob = (await addMember(s.orgUrl, org)).id;
    const ops = await createGroup('ops');
    await groupPolicy(ops.id, { requireMfa: true, gracePeriodHours: 200, allowedMethods: ['totp', 'webauthn'] });
    // a policy version is stamped by org-service's database, a membership by the shared clock: here the
    // clock follows real time closely so that the join comes before the next version, as it does in service
    clock.set(Date.now());
    await members(ops.id, { add: [bob] }).expect(200);
    await new Promise((r) => setTimeout(r, 20));
    const v2 = await groupPolicy(ops.id, { requireMfa: true, gracePeriodHours: 0, allowedMethods: ['totp', 'webauthn'] });
    clock.set(Date.now() + 1000);
    expect((await member(bob)).enforcement.state).toBe('non_compliant');
    const afterVersion = await history(bob);
    expect(afterVersion[0]).toMatchObject({ from: 'pending', to: 'non_compliant', cause: { type: 'group_policy', id: `${ops.id}:${v2}` } });

    clock.advance(H);
    expect((await http().delete(`/v1/orgs/${org.id}/groups/${ops.id}`).set(org.auth)).status).toBe(204);
    expect((await member(bob)).enforcement.state).toBe('pending');
    expect((await history(bob))[0]).toMatchObject({
      at: clock.now().toISOString(),
      from: 'non_compliant',
      to: 'pending',
      cause: { type: 'group_left', id: ops.id },
    });
    // the deleted group's versions stay (they explain its former members' past)
    expect(path(await history(bob))).toEqual([
      'account_created>pending',
      'group_joined>pending',
      'group_policy>non_compliant',
      'group_left>pending',
    ]);
  });

  it('a group without a policy: joining and leaving is recorded, not shown', async () => {
    const cid = (await addMember(s.orgUrl, org)).id;
    const plain = await createGroup('plain');
    clock.advance(H);
    await members(plain.id, { add: [cid] }).expect(200);
    clock.advance(H);
    await members(plain.id, { remove: [cid] }).expect(200);
    expect(path(await history(cid))).toEqual(['account_created>pending']);
    const kinds = await db.query(`SELECT kind FROM accounts.member_events WHERE account_id = $1 AND ref = $2 ORDER BY at`, [cid, plain.id]);
    expect(kinds.map((k: { kind: string }) => k.kind)).toEqual(['group_joined', 'group_left']);
  });

  it('a 10,000-id bulk change and a deletion write one event per member each, set-based, and the history still answers', async () => {
    const tag = randomUUID().slice(0, 8);
    const rows: Array<{ id: string }> = await db.query(
      `INSERT INTO accounts.accounts (org_id, email) SELECT $1, 'h' || g || '-' || $2 || '@history.test' FROM generate_series(1, 10000) g RETURNING id`,
      [org.id, tag],
    );
    const ids = rows.map((r) => r.id);
    const big = await createGroup('big');
    await groupPolicy(big.id, { requireMfa: true, gracePeriodHours: 1, allowedMethods: ['totp', 'webauthn'] });
    clock.set(Date.now() + 1000); // just after the version (stamped by the database), well before its deadline
    const t = Date.now();
    expect((await members(big.id, { add: ids })).status).toBe(200);
    const addMs = Date.now() - t;
    const count = async (kind: string) =>
      (
        await db.query(`SELECT count(*)::int AS n FROM accounts.member_events WHERE org_id = $1 AND kind = $2 AND ref = $3`, [
          org.id,
          kind,
          big.id,
        ])
      )[0].n;
    expect(await count('group_joined')).toBe(10_000);
    const one = ids[4321];
    expect((await history(one))[0]).toMatchObject({ cause: { type: 'group_joined', id: big.id }, to: 'pending' });
    clock.advance(2 * H);
    expect((await history(one))[0]).toMatchObject({ cause: { type: 'deadline_passed' }, to: 'non_compliant' });
    clock.advance(H);
    expect((await http().delete(`/v1/orgs/${org.id}/groups/${big.id}`).set(org.auth)).status).toBe(204);
    expect(await count('group_left')).toBe(10_000);
    expect((await history(one))[0]).toMatchObject({ cause: { type: 'group_left', id: big.id }, from: 'non_compliant', to: 'pending' });
    console.log(`10,000 ids added with their group_joined events in ${addMs} ms`);
  }, 120_000);
});
