/**
 * The cost of listing groups (a measurement, run with GROUPS_COST=1; docs/security.md "Groups and
 * group policies"): every listed group counts its memberships (`count(*)` per row of the page), so
 * one page of an org whose groups are large reads every membership of the page's groups.
 */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createOrg, startTestServices, type TestServices } from '@test/support';

const MEMBERS = Number(process.env.GROUPS_COST_MEMBERS ?? 100_000);
const GROUPS = Number(process.env.GROUPS_COST_GROUPS ?? 10);
const run = process.env.GROUPS_COST === '1' ? describe : describe.skip;

let s: TestServices;

run('groups list cost', () => {
  beforeAll(async () => {
    s = await startTestServices();
  });
  afterAll(() => s?.close());

  it(`one page of ${GROUPS} groups of ${MEMBERS} members each`, async () => {
    const db = s.org.app.get(DataSource);
    const org = await createOrg(s.orgUrl, s.platformKey);
    await db.query(
      `INSERT INTO accounts.accounts (org_id, email) SELECT $1, 'c' || g || '-' || $3 || '@cost.test' FROM generate_series(1, $2) g`,
      [org.id, MEMBERS, randomUUID().slice(0, 8)],
    );
    for (let i = 0; i < GROUPS; i++) {
      const g = await request(s.orgUrl)
        .post(`/v1/orgs/${org.id}/groups`)
        .set(org.auth)
        .send({ name: `big-${i}` });
      await db.query(
        `INSERT INTO accounts.group_members (group_id, account_id, org_id) SELECT $2, a.id, a.org_id FROM accounts.accounts a WHERE a.org_id = $1`,
        [org.id, g.body.id],
      );
    }
    await db.query(`VACUUM ANALYZE accounts.group_members`);
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = Date.now();
      const res = await request(s.orgUrl).get(`/v1/orgs/${org.id}/groups?limit=1000`).set(org.auth);
      times.push(Date.now() - t0);
      expect(res.status).toBe(200);
    }
    console.log(`[groups list cost] ${GROUPS} groups x ${MEMBERS} members: GET groups?limit=1000 ${times.join(', ')} ms`);
  });
});
