/**
 * Groups and group policies end to end: org-service HTTP + account-service + mfa-service in this
 * process over the real bus (Redis database from TEST_REDIS_DB). A group policy for 1,000 of
 * 10,000 members takes effect for all of them at once (sampled over the bus) while the others
 * stay as they were; members moved in and out; a group deleted; bad input, another org's keys
 * and ids, no key and hostile sizes on every new route and pattern.
 */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import type { AuthorizeReply, Group, Member, PolicyRollout } from '@mfa/contracts';
import {
  addMember,
  bearer,
  createApiKey,
  createOrg,
  startTestServices,
  type TestOrg,
  type TestServices,
  waitFor,
  wirePolicy,
} from '@test/support';

const FAST = { OUTBOX_RELAY_INTERVAL_MS: '200', ROLLOUT_STALE_SECONDS: '2' };
const MEMBERS = 10_000;
const IN_GROUP = 1_000;

let s: TestServices;
let db: DataSource;
let org: TestOrg;
let other: TestOrg;

const http = () => request(s.orgUrl);
const authorize = (accountId: string): Promise<AuthorizeReply> => s.bus.send('accounts.authorize', { accountId });
const member = async (o: TestOrg, id: string): Promise<Member> => (await http().get(`/v1/orgs/${o.id}/members/${id}`).set(o.auth)).body;

async function createGroup(o: TestOrg, name = `g-${randomUUID().slice(0, 8)}`): Promise<Group> {
  const res = await http().post(`/v1/orgs/${o.id}/groups`).set(o.auth).send({ name });
  expect(res.status).toBe(201);
  return res.body;
}

async function putMembers(o: TestOrg, groupId: string, body: object): Promise<request.Response> {
  return http().put(`/v1/orgs/${o.id}/groups/${groupId}/members`).set(o.auth).send(body);
}

async function putGroupPolicy(
  o: TestOrg,
  groupId: string,
  body: object,
): Promise<{ policy: { version: number; groupId: string }; rollout: PolicyRollout }> {
  const res = await http().put(`/v1/orgs/${o.id}/groups/${groupId}/mfa-policy`).set(o.auth).send(body);
  expect([res.status, res.body]).toEqual([202, expect.anything()]);
  return res.body;
}

const completed = (o: TestOrg, rolloutId: string, ms = 30_000): Promise<PolicyRollout> =>
  waitFor(
    async () => {
      const res = await http().get(`/v1/orgs/${o.id}/rollouts/${rolloutId}`).set(o.auth);
      return res.body.status === 'completed' ? (res.body as PolicyRollout) : null;
    },
    ms,
    50,
  );

/** `n` members in one statement (the API would take a bulk call per 10,000); their ids in id order. */
async function seedMembers(o: TestOrg, n: number): Promise<string[]> {
  const rows: Array<{ id: string }> = await db.query(
    `INSERT INTO accounts.accounts (org_id, email) SELECT $1, 'm' || g || '-' || $3 || '@groups.test' FROM generate_series(1, $2) g RETURNING id`,
    [o.id, n, randomUUID().slice(0, 8)],
  );
  return rows.map((r) => r.id).sort();
}

const storedStates = async (ids: string[]) =>
  db.query(
    `SELECT enforcement_state AS state, count(*)::int AS n FROM accounts.accounts WHERE id = ANY($1::uuid[]) GROUP BY 1 ORDER BY 1`,
    [ids],
  );

const sample = <T>(xs: T[], n: number): T[] => Array.from({ length: n }, (_, i) => xs[Math.floor((i * xs.length) / n)]);

beforeAll(async () => {
  s = await startTestServices({ env: FAST });
  db = s.org.app.get(DataSource);
  org = await createOrg(s.orgUrl, s.platformKey);
  other = await createOrg(s.orgUrl, s.platformKey);
});
afterAll(async () => {
  await s?.close();
});

describe('groups: the admin routes', () => {
  it('creates, lists with a cursor, refuses a taken name and the 1,001st group', async () => {
    const o = await createOrg(s.orgUrl, s.platformKey);
    const g = await createGroup(o, 'admins');
    expect(g).toEqual({ id: expect.any(String), orgId: o.id, name: 'admins', memberCount: 0, policy: null, createdAt: expect.any(String) });
    const dup = await http().post(`/v1/orgs/${o.id}/groups`).set(o.auth).send({ name: 'admins' });
    expect([dup.status, dup.body.code]).toEqual([409, 'conflict']);
    await createGroup(o, 'billing');
    await createGroup(o, 'ops');

    const page1 = await http().get(`/v1/orgs/${o.id}/groups?limit=2`).set(o.auth);
    expect(page1.status).toBe(200);
    expect(page1.body.items).toHaveLength(2);
    const page2 = await http().get(`/v1/orgs/${o.id}/groups?limit=2&cursor=${page1.body.nextCursor}`).set(o.auth);
    expect(page2.body).toEqual({ items: [expect.objectContaining({ orgId: o.id })], nextCursor: null });
    expect([...page1.body.items, ...page2.body.items].map((x: Group) => x.name).sort()).toEqual(['admins', 'billing', 'ops']);

    // up to 1,000 groups per org: fill up to 999 directly, the API makes the 1,000th and refuses the next
    await db.query(`INSERT INTO accounts.groups (org_id, name) SELECT $1, 'bulk-' || g FROM generate_series(1, 996) g`, [o.id]);
    await createGroup(o, 'the-thousandth');
    const over = await http().post(`/v1/orgs/${o.id}/groups`).set(o.auth).send({ name: 'one-too-many' });
    expect([over.status, over.body.code, over.body.message]).toEqual([409, 'conflict', 'an organization has at most 1000 groups']);
  });

  it('answers bad input with the field, another org with not_found, no key with unauthenticated, hostile sizes with 400/413', async () => {
    const g = await createGroup(org);
    const bad = async (method: 'post' | 'put' | 'get', path: string, body: object | undefined, field: string) => {
      const req = http()[method](path).set(org.auth);
      const res = await (body ? req.send(body) : req);
      expect([path, res.status, res.body.code, (res.body.details ?? []).map((d: { field: string }) => d.field)]).toEqual([
        path,
        400,
        'validation_failed',
        expect.arrayContaining([field]),
      ]);
    };
    await bad('post', `/v1/orgs/${org.id}/groups`, {}, 'name');
    await bad('post', `/v1/orgs/${org.id}/groups`, { name: '' }, 'name');
    await bad('post', `/v1/orgs/${org.id}/groups`, { name: 'x'.repeat(201) }, 'name');
    await bad('post', `/v1/orgs/${org.id}/groups`, { name: 'a\u0000b' }, 'name');
    await bad('get', `/v1/orgs/${org.id}/groups?limit=0`, undefined, 'limit');
    await bad('get', `/v1/orgs/${org.id}/groups?cursor=nope`, undefined, 'cursor');
    await bad('put', `/v1/orgs/${org.id}/groups/${g.id}/members`, { add: ['not-a-uuid'] }, 'add');
    await bad('put', `/v1/orgs/${org.id}/groups/${g.id}/members`, { remove: 'x' }, 'remove');
    await bad('put', `/v1/orgs/${org.id}/groups/not-a-uuid/members`, { add: [] }, 'groupId');
    await bad('put', `/v1/orgs/${org.id}/groups/${g.id}/mfa-policy`, { gracePeriodHours: 1, allowedMethods: ['totp'] }, 'requireMfa');
    await bad(
      'put',
      `/v1/orgs/${org.id}/groups/${g.id}/mfa-policy`,
      { requireMfa: true, gracePeriodHours: -1, allowedMethods: ['totp'] },
      'gracePeriodHours',
    );
    // an id of another org's member refuses the whole call, naming it; nothing is added
    const stranger = await addMember(s.orgUrl, other);
    const mine = await addMember(s.orgUrl, org);
    const cross = await putMembers(org, g.id, { add: [mine.id, stranger.id] });
    expect([cross.status, cross.body.details?.[0]?.field]).toEqual([400, 'add']);
    expect(cross.body.message).toContain(stranger.id);
    const both = await putMembers(org, g.id, { add: [mine.id], remove: [mine.id] });
    expect([both.status, both.body.code]).toEqual([400, 'validation_failed']);
    expect(
      (await http().get(`/v1/orgs/${org.id}/groups?limit=1000`).set(org.auth)).body.items.find((x: Group) => x.id === g.id).memberCount,
    ).toBe(0);

    // hostile sizes: 10,001 ids (under the body limit), over 1 MiB, a 70 KiB name, nested containers
    const many = Array.from({ length: 10_001 }, () => randomUUID());
    const tooMany = await putMembers(org, g.id, { add: many.slice(0, 5_000), remove: many.slice(5_000) });
    expect([tooMany.status, tooMany.body.code, tooMany.body.details?.[0]?.field]).toEqual([400, 'validation_failed', 'add']);
    const huge = await putMembers(org, g.id, { add: Array.from({ length: 30_000 }, () => randomUUID()) });
    expect(huge.status).toBe(413);
    const nested = await putMembers(org, g.id, { add: [[mine.id]] });
    expect([nested.status, nested.body.code]).toEqual([400, 'validation_failed']);
    const longName = await http()
      .post(`/v1/orgs/${org.id}/groups`)
      .set(org.auth)
      .send({ name: 'x'.repeat(70_000) });
    expect(longName.status).toBe(413);

    // another org's key on this org's routes, and this org's key on another org's group: not_found
    const groupRoutes = (orgId: string, groupId: string) => [
      { m: 'post' as const, p: `/v1/orgs/${orgId}/groups`, b: { name: 'probe' } },
      { m: 'get' as const, p: `/v1/orgs/${orgId}/groups` },
      { m: 'put' as const, p: `/v1/orgs/${orgId}/groups/${groupId}/members`, b: { add: [] } },
      {
        m: 'put' as const,
        p: `/v1/orgs/${orgId}/groups/${groupId}/mfa-policy`,
        b: { requireMfa: true, gracePeriodHours: 0, allowedMethods: ['totp'] },
      },
      { m: 'delete' as const, p: `/v1/orgs/${orgId}/groups/${groupId}` },
    ];
    const answers = async (routes: ReturnType<typeof groupRoutes>, headers: Record<string, string>) => {
      const out = [];
      for (const r of routes) {
        const req = http()[r.m](r.p).set(headers);
        const res = await (r.b ? req.send(r.b) : req);
        out.push([r.m, r.p, res.status, res.body.code]);
      }
      return out;
    };
    const routes = groupRoutes(org.id, g.id);
    expect(await answers(routes, other.auth)).toEqual(routes.map((r) => [r.m, r.p, 404, 'not_found']));
    const theirGroup = await createGroup(other);
    const mixed = groupRoutes(org.id, theirGroup.id).slice(2);
    expect(await answers(mixed, org.auth)).toEqual(mixed.map((r) => [r.m, r.p, 404, 'not_found']));
    expect(await answers(routes, {})).toEqual(routes.map((r) => [r.m, r.p, 401, 'unauthenticated']));
    expect(await answers(routes, bearer('mfak_nope'))).toEqual(routes.map((r) => [r.m, r.p, 401, 'unauthenticated']));
    // an auditor reads, never writes
    const auditor = await createApiKey(s.orgUrl, org, 'auditor');
    const writes = routes.filter((r) => r.m !== 'get');
    expect(await answers(writes, bearer(auditor.key))).toEqual(writes.map((r) => [r.m, r.p, 403, 'forbidden']));
    // the group is untouched by all of that
    expect((await http().get(`/v1/orgs/${org.id}/groups?limit=1000`).set(org.auth)).body.items.some((x: Group) => x.id === g.id)).toBe(
      true,
    );
  });

  it('the internal patterns refuse bad input, other orgs and hostile sizes too', async () => {
    const g = await createGroup(org);
    const fails = async (pattern: string, data: object) => {
      try {
        await s.bus.send(pattern as 'accounts.internal.groups.get', data as never);
        return null;
      } catch (err) {
        return (err as { code: string }).code;
      }
    };
    expect(await fails('accounts.internal.groups.create', { orgId: 'x', name: 'a' })).toBe('validation_failed');
    expect(await fails('accounts.internal.groups.list', { orgId: org.id, limit: 5000 })).toBe('validation_failed');
    expect(await fails('accounts.internal.groups.get', { orgId: other.id, groupId: g.id })).toBe('not_found');
    expect(await fails('accounts.internal.groups.delete', { orgId: other.id, groupId: g.id })).toBe('not_found');
    expect(await fails('accounts.internal.groups.members.update', { orgId: other.id, groupId: g.id, add: [] })).toBe('not_found');
    expect(
      await fails('accounts.internal.groups.members.update', {
        orgId: org.id,
        groupId: g.id,
        add: Array.from({ length: 10_001 }, () => randomUUID()),
      }),
    ).toBe('validation_failed');
    expect(await fails('accounts.internal.policy.methods-check', { orgId: org.id, allowedMethods: ['carrier-pigeon'] })).toBe(
      'validation_failed',
    );
    expect(
      await fails('accounts.internal.groups.policy.apply', {
        policy: wirePolicy(org.id),
        rolloutId: randomUUID(),
      }),
    ).toBe('validation_failed'); // no groupId
    expect(await fails('accounts.internal.groups.create', { orgId: org.id, name: 'n', extra: 1 })).toBe('validation_failed');
  });
});

describe('group policies', () => {
  let ids: string[];
  let inGroup: string[];
  let outside: string[];
  let group: Group;

  it(`takes effect for ${IN_GROUP} of ${MEMBERS} members at once while the others stay as they were`, async () => {
    ids = await seedMembers(org, MEMBERS);
    inGroup = ids.filter((_, i) => i % (MEMBERS / IN_GROUP) === 0);
    outside = ids.filter((_, i) => i % (MEMBERS / IN_GROUP) !== 0);
    group = await createGroup(org, 'admins-now');
    const added = await putMembers(org, group.id, { add: inGroup });
    expect([added.status, added.body.memberCount]).toEqual([200, IN_GROUP]);

    const started = Date.now();
    const { policy, rollout } = await putGroupPolicy(org, group.id, {
      requireMfa: true,
      gracePeriodHours: 0,
      allowedMethods: ['totp', 'webauthn'],
    });
    expect(policy).toMatchObject({ orgId: org.id, groupId: group.id, version: 1, requireMfa: true, gracePeriodHours: 0 });
    expect(rollout).toMatchObject({ orgId: org.id, groupId: group.id, policyVersion: 1 });

    // at once, before the rollout wrote anything: sampled over the bus
    const inside = await Promise.all(sample(inGroup, 50).map(authorize));
    expect(inside.map((r) => [r.allowed, r.reason, r.enforcement?.state])).toEqual(
      inside.map(() => [false, 'enrollment_required', 'non_compliant']),
    );
    const out = await Promise.all(sample(outside, 50).map(authorize));
    expect(out.map((r) => [r.allowed, r.enforcement?.state])).toEqual(out.map(() => [true, 'not_required']));
    const read = await member(org, inGroup[0]);
    expect(read.enforcement).toMatchObject({
      state: 'non_compliant',
      policyVersion: 0,
      groups: [group.id],
      effectivePolicy: { requireMfa: true, allowedMethods: ['totp'], maxMfaAgeSeconds: null, secureMethodsOnly: false },
    });
    expect((await member(org, outside[0])).enforcement).toMatchObject({ state: 'not_required', groups: [] });

    const done = await completed(org, rollout.id);
    expect(done).toMatchObject({ status: 'completed', total: IN_GROUP, applied: IN_GROUP });
    console.log(`[group policy] ${IN_GROUP} of ${MEMBERS}: PUT -> rollout completed in ${Date.now() - started} ms`);
    expect(await storedStates(inGroup)).toEqual([{ state: 'non_compliant', n: IN_GROUP }]);
    // the others' snapshot was never touched by the group's rollout
    expect(await storedStates(outside)).toEqual([{ state: null, n: MEMBERS - IN_GROUP }]);
    // counts and listing by state follow the effective policy
    const stats = (await http().get(`/v1/orgs/${org.id}`).set(org.auth)).body.members;
    expect(stats.byState.non_compliant).toBe(IN_GROUP);
    const listed = await http().get(`/v1/orgs/${org.id}/members?state=non_compliant&limit=1000`).set(org.auth);
    expect(listed.body.items.map((m: Member) => m.id).sort()).toEqual(inGroup);
    expect(listed.body.items.every((m: Member) => m.enforcement.groups?.[0] === group.id)).toBe(true);
    // newly required members got the policy notice, once, marked with the group
    const notices = await waitFor(async () => {
      const [{ n }] = await db.query(
        `SELECT count(*)::int AS n FROM accounts.notification_outbox WHERE org_id = $1 AND kind = 'policy_required' AND payload->>'groupId' = $2`,
        [org.id, group.id],
      );
      return n === IN_GROUP ? n : null;
    }, 20_000);
    expect(notices).toBe(IN_GROUP);
    // the compliance CSV names the group
    const csv = await http().get(`/v1/orgs/${org.id}/compliance-report?format=csv`).set(org.auth).buffer(true);
    const line = (csv.text as string).split('\n').find((l) => l.startsWith(inGroup[0]))!;
    expect(line.split(',').at(-1)).toBe(group.id);
  }, 120_000);

  it('moves a member in and out: its effective policy follows at once, snapshot included', async () => {
    const x = outside[0];
    expect((await authorize(x)).enforcement?.state).toBe('not_required');
    expect((await putMembers(org, group.id, { add: [x] })).body.memberCount).toBe(IN_GROUP + 1);
    expect(await authorize(x)).toMatchObject({ allowed: false, reason: 'enrollment_required' });
    expect(await storedStates([x])).toEqual([{ state: 'non_compliant', n: 1 }]);
    expect((await putMembers(org, group.id, { remove: [x, randomUUID()] })).body.memberCount).toBe(IN_GROUP);
    expect(await authorize(x)).toMatchObject({ allowed: true, enforcement: { state: 'not_required' } });
    expect(await storedStates([x])).toEqual([{ state: 'not_required', n: 1 }]);
  });

  it('is the strictest with the org policy: earliest deadline; an empty intersection of methods is refused', async () => {
    const res = await http()
      .put(`/v1/orgs/${org.id}/mfa-policy`)
      .set(org.auth)
      .send({ requireMfa: true, gracePeriodHours: 720, allowedMethods: ['totp', 'sms', 'webauthn'] });
    expect(res.status).toBe(202);
    await completed(org, res.body.rollout.id, 60_000);
    expect((await authorize(outside[1])).enforcement?.state).toBe('pending');
    expect((await authorize(inGroup[1])).enforcement?.state).toBe('non_compliant');
    // the org policy would leave the group's members with no method: refused
    const orgClash = await http()
      .put(`/v1/orgs/${org.id}/mfa-policy`)
      .set(org.auth)
      .send({ requireMfa: true, gracePeriodHours: 720, allowedMethods: ['sms'] });
    expect([orgClash.status, orgClash.body.details?.[0]?.field]).toEqual([400, 'allowedMethods']);
    // another group sharing a member, with no method in common with this one: refused
    const second = await createGroup(org, 'sms-people');
    await putMembers(org, second.id, { add: [inGroup[2]] });
    const clash = await http()
      .put(`/v1/orgs/${org.id}/groups/${second.id}/mfa-policy`)
      .set(org.auth)
      .send({ requireMfa: true, gracePeriodHours: 0, allowedMethods: ['sms'] });
    expect([clash.status, clash.body.code, clash.body.details?.[0]?.field]).toEqual([400, 'validation_failed', 'allowedMethods']);
    expect(clash.body.message).toContain(group.id);
    // a third group whose policy shares no method with the first: adding one of the first's members is refused
    const third = await createGroup(org, 'sms-only');
    await putGroupPolicy(org, third.id, { requireMfa: false, gracePeriodHours: 0, allowedMethods: ['sms'] });
    const refused = await putMembers(org, third.id, { add: [outside[5], inGroup[3]] });
    expect([refused.status, refused.body.details?.[0]?.field]).toEqual([400, 'add']);
    expect(refused.body.message).toContain(group.id);
    expect((await putMembers(org, third.id, { add: [outside[5]] })).body.memberCount).toBe(1);
    // sharing a method is fine, and the lowest maxMfaAgeSeconds wins for the shared member
    await putGroupPolicy(org, second.id, { requireMfa: false, gracePeriodHours: 0, allowedMethods: ['totp'], maxMfaAgeSeconds: 300 });
    expect((await member(org, inGroup[2])).enforcement).toMatchObject({
      groups: [group.id, second.id].sort(),
      effectivePolicy: { requireMfa: true, allowedMethods: ['totp'], maxMfaAgeSeconds: 300 },
    });
  });

  it('deleting a group stops its policy at once for all of its members', async () => {
    const res = await http().delete(`/v1/orgs/${org.id}/groups/${group.id}`).set(org.auth);
    expect(res.status).toBe(204);
    const after = await Promise.all(sample(inGroup, 50).map(authorize));
    // the org's policy (720 h grace) is what is left
    expect(after.map((r) => r.enforcement?.state)).toEqual(after.map(() => 'pending'));
    expect(await storedStates(inGroup)).toEqual([{ state: 'pending', n: IN_GROUP }]);
    expect((await http().delete(`/v1/orgs/${org.id}/groups/${group.id}`).set(org.auth)).status).toBe(404);
    const list = (await http().get(`/v1/orgs/${org.id}/groups?limit=1000`).set(org.auth)).body.items as Group[];
    expect(list.some((g) => g.id === group.id)).toBe(false);
    // audited like the other admin actions
    const audit = await http().get(`/v1/orgs/${org.id}/audit-events?limit=100`).set(org.auth);
    const actions = (audit.body.items as Array<{ action: string; target: { id: string } }>)
      .filter((e) => e.target.id === group.id)
      .map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['group.created', 'group.members_changed', 'group.policy_updated', 'group.deleted']));
  });
});
