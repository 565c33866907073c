/**
 * The figure: a group policy for 10,000 members of a 100,000-member org takes effect for
 * every one of them at once (sampled over the bus) while the other 90,000 stay as they were.
 * Services in process over the real bus (Redis database from TEST_REDIS_DB); ~20-30 s here.
 */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import type { AuthorizeReply, PolicyRollout } from '@mfa/contracts';
import { createOrg, startTestServices, type TestOrg, type TestServices, waitFor } from '@test/support';

const MEMBERS = 100_000;
const IN_GROUP = 10_000;

let s: TestServices;
let db: DataSource;
let org: TestOrg;

beforeAll(async () => {
  s = await startTestServices({ mfa: false, env: { OUTBOX_RELAY_INTERVAL_MS: '200', ROLLOUT_STALE_SECONDS: '5' } });
  db = s.org.app.get(DataSource);
  org = await createOrg(s.orgUrl, s.platformKey);
});
afterAll(async () => {
  await s?.close();
});

const authorize = (accountId: string): Promise<AuthorizeReply> => s.bus.send('accounts.authorize', { accountId });
const sample = <T>(xs: T[], n: number): T[] => Array.from({ length: n }, (_, i) => xs[Math.floor((i * xs.length) / n)]);

describe(`a group policy at ${IN_GROUP} of ${MEMBERS}`, () => {
  it('takes effect for every member of the group at once, and for no one else', async () => {
    const rows: Array<{ id: string }> = await db.query(
      `INSERT INTO accounts.accounts (org_id, email) SELECT $1, 's' || g || '-' || $3 || '@scale.test' FROM generate_series(1, $2) g RETURNING id`,
      [org.id, MEMBERS, randomUUID().slice(0, 8)],
    );
    await db.query('ANALYZE accounts.accounts');
    const ids = rows.map((r) => r.id).sort();
    const inGroup = ids.filter((_, i) => i % (MEMBERS / IN_GROUP) === 0);
    const outside = ids.filter((_, i) => i % (MEMBERS / IN_GROUP) !== 0);
    const http = () => request(s.orgUrl);
    const group = (await http().post(`/v1/orgs/${org.id}/groups`).set(org.auth).send({ name: 'admins' })).body;

    let t = Date.now();
    const added = await http().put(`/v1/orgs/${org.id}/groups/${group.id}/members`).set(org.auth).send({ add: inGroup });
    expect([added.status, added.body.memberCount]).toEqual([200, IN_GROUP]);
    const addMs = Date.now() - t;

    t = Date.now();
    const put = await http()
      .put(`/v1/orgs/${org.id}/groups/${group.id}/mfa-policy`)
      .set(org.auth)
      .send({ requireMfa: true, gracePeriodHours: 0, allowedMethods: ['totp'] });
    expect(put.status).toBe(202);
    const putMs = Date.now() - t;
    const inside = await Promise.all(sample(inGroup, 200).map(authorize));
    expect(inside.every((r) => r.reason === 'enrollment_required' && r.enforcement?.state === 'non_compliant')).toBe(true);
    const others = await Promise.all(sample(outside, 200).map(authorize));
    expect(others.every((r) => r.allowed && r.enforcement?.state === 'not_required')).toBe(true);

    const rollout = await waitFor(
      async () => {
        const r = (await http().get(`/v1/orgs/${org.id}/rollouts/${put.body.rollout.id}`).set(org.auth)).body as PolicyRollout;
        return r.status === 'completed' ? r : null;
      },
      60_000,
      100,
    );
    const rolloutMs = Date.now() - t;
    expect(rollout).toMatchObject({ total: IN_GROUP, applied: IN_GROUP });
    const states = await db.query(
      `SELECT enforcement_state AS state, count(*)::int AS n FROM accounts.accounts WHERE org_id = $1 GROUP BY 1 ORDER BY 1`,
      [org.id],
    );
    expect(states).toEqual([
      { state: 'non_compliant', n: IN_GROUP },
      { state: null, n: MEMBERS - IN_GROUP },
    ]);
    console.log(
      `[group scale] ${IN_GROUP} of ${MEMBERS}: members PUT ${addMs} ms; policy PUT answered in ${putMs} ms; rollout completed ${rolloutMs} ms after the PUT`,
    );
  }, 120_000);
});
