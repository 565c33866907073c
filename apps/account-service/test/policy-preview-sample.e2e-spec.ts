/**
 * The preview's sample with group policies (PolicyPreviewRepository, real Postgres): when at least
 * `sampleSize` members are blocked at now it is read in id order among them, otherwise by the
 * top-N pass; either way it is exactly the `sampleSize` members blocked soonest (blocked instant,
 * then id), as the top-N pass over every member answers. Org and group scopes.
 */
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { PolicyPreviewRepository } from '../src/compliance/policy-preview.repository';
import { blockedAfterSql, groupScope, orgScope, type PreviewScope, stateNowSql } from '../src/compliance/policy-preview.sql';
import { dataSourceOptions } from '../src/database/data-source';
import { defaultOrgPolicy, proposedPolicy } from '../src/enforcement/compute-enforcement';
import { GroupPolicyRepository } from '../src/enforcement/group-policy.repository';
import { OrgPolicyRepository } from '../src/enforcement/org-policy.repository';

const N = 300;
const H = 3_600_000;
let ds: DataSource;

beforeAll(async () => {
  ds = new DataSource(dataSourceOptions(process.env.DATABASE_URL!));
  await ds.initialize();
});
afterAll(() => ds?.destroy());

/** An org of N members joined over the last `spreadHours` (a third with a device), a group of every 3rd with a policy. */
async function seed(now: Date, spreadHours: number) {
  const orgId = randomUUID();
  await ds.query(
    `INSERT INTO accounts.accounts (org_id, email, created_at, active_device_count, secure_active_device_count)
     SELECT $1, 's' || g || '@sample.test', $3::timestamptz - make_interval(hours => (g * 7919) % $4), (g % 3 = 0)::int, 0
       FROM generate_series(1, $2) g`,
    [orgId, N, now, spreadHours],
  );
  await new OrgPolicyRepository(ds).applyIfNewer({
    ...defaultOrgPolicy(orgId),
    version: 1,
    requireMfa: true,
    gracePeriodHours: 72,
    updatedAt: new Date(now.getTime() - 30 * 24 * H).toISOString(),
  });
  const [{ id: groupId }] = await ds.query(`INSERT INTO accounts.groups (org_id, name) VALUES ($1, 'g') RETURNING id`, [orgId]);
  await ds.query(
    `INSERT INTO accounts.group_members (group_id, account_id, org_id)
     SELECT $1, id, org_id FROM (SELECT id, org_id, row_number() OVER (ORDER BY email) rn FROM accounts.accounts WHERE org_id = $2) s WHERE rn % 3 <> 1`,
    [groupId, orgId],
  );
  await new GroupPolicyRepository(ds).applyIfNewer({
    ...defaultOrgPolicy(orgId),
    groupId,
    version: 1,
    requireMfa: true,
    gracePeriodHours: 24,
    updatedAt: new Date(now.getTime() - 20 * 24 * H).toISOString(),
  });
  return { orgId, groupId };
}

/** The reference: the top-N over every member of the scope. */
async function topN(scope: PreviewScope, size: number): Promise<Array<[string, string]>> {
  const rows = await ds.query(
    `SELECT a.id, b.blocked_at, ${stateNowSql(scope)} AS state_now FROM ${scope.from} CROSS JOIN LATERAL (SELECT ${blockedAfterSql(scope)} AS blocked_at) b
      WHERE ${scope.where} AND b.blocked_at IS NOT NULL ORDER BY b.blocked_at, a.id LIMIT ${size}`,
    scope.params,
  );
  return rows.map((r: { id: string; blocked_at: Date }) => [r.id, new Date(r.blocked_at).toISOString()]);
}

describe('policy preview: the sample with group policies', () => {
  it.each([
    // joined long ago, 72 h / 24 h graces over: most without a device blocked at now (the id-order read)
    ['most blocked at now', 24 * 200, 20],
    // joined within the last hours, the proposal gives 48 h: nobody blocked at now (the top-N pass)
    ['nobody blocked at now', 12, 20],
    // a sample larger than who is blocked at now: the id-order read finds too few, the top-N pass answers
    ['fewer blocked at now than the sample', 36, 150],
  ] as const)('%s', async (_name, spreadHours, size) => {
    const now = new Date();
    const { orgId, groupId } = await seed(now, spreadHours);
    const orgs = new OrgPolicyRepository(ds);
    const current = await orgs.get(orgId);
    expect(current.hasGroupPolicies).toBe(true);
    const body = { requireMfa: true, gracePeriodHours: 48, secureMethodsOnly: true };
    const storedGroup = (await new GroupPolicyRepository(ds).get(orgId, groupId))!;
    const scopes = [
      orgScope(orgId, current, proposedPolicy(current, body, now), now),
      groupScope(orgId, groupId, current, proposedPolicy(storedGroup, body, now), now),
    ];
    const repo = new PolicyPreviewRepository(ds);
    for (const scope of scopes) {
      const p = await repo.preview(scope, { maxDays: 1000, sampleSize: size });
      const expected = await topN(scope, size);
      expect(expected.length).toBeGreaterThan(0);
      expect(p.sample.map((s) => [s.member.id, s.blockedAt.toISOString()])).toEqual(expected);
      const nonCompliant = p.states.filter((s) => s.after === 'non_compliant').reduce((n, s) => n + s.n, 0);
      const blockedNow = expected.filter(([, at]) => at === now.toISOString()).length;
      // the cases are what they say
      if (_name === 'most blocked at now') expect(nonCompliant).toBeGreaterThanOrEqual(size);
      if (_name === 'nobody blocked at now') expect([nonCompliant, blockedNow]).toEqual([0, 0]);
      if (_name === 'fewer blocked at now than the sample') expect(blockedNow).toBeLessThan(size);
    }
  });
});
