/**
 * What groups cost set-based work, at 100,000 members (real Postgres, EXPLAIN ANALYZE): for an org
 * without group policies every group subquery is behind the org's flag and never runs; for an org
 * with a group policy on 10% of its members the same statements read their memberships by index.
 * Prints the timings next to the statement as it was before groups (no group part at all).
 */
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src/database/data-source';
import { defaultOrgPolicy } from '../src/enforcement/compute-enforcement';
import {
  DEADLINE,
  enforcementStateSql,
  JOINED_POLICY,
  POLICY_GROUPS,
  POLICY_JOIN,
  type PolicyExprs,
} from '../src/enforcement/enforcement.sql';
import { GroupPolicyRepository, memberGroupPoliciesSql } from '../src/enforcement/group-policy.repository';
import { OrgPolicyRepository } from '../src/enforcement/org-policy.repository';
import { MATERIALIZE_SET, MATERIALIZE_SET_GROUPS, policyParams } from '../src/enforcement/rollout-materializer.repository';

const N = 100_000;
let ds: DataSource;

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Loops': number;
  Plans?: PlanNode[];
}
const nodes = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodes)];
/** Loops of every node reading a group table. */
const groupLoops = (plan: PlanNode) =>
  nodes(plan)
    .filter((n) => /group_(members|policies)/.test(`${n['Relation Name'] ?? ''} ${n['Index Name'] ?? ''}`))
    .map((n) => n['Actual Loops']);

/** EXPLAIN ANALYZE in a transaction rolled back: an UPDATE explained changes nothing. */
async function explain(sql: string, params: unknown[]): Promise<{ ms: number; plan: PlanNode }> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  await runner.startTransaction();
  try {
    const [row] = await runner.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`, params);
    const out = row['QUERY PLAN'][0];
    expect(out.JIT).toBeUndefined(); // account-service runs with jit=off (database/data-source.ts)
    return { ms: out['Execution Time'] as number, plan: out.Plan as PlanNode };
  } finally {
    await runner.rollbackTransaction();
    await runner.release();
  }
}

async function seedOrg(): Promise<string> {
  const orgId = randomUUID();
  await ds.query(`INSERT INTO accounts.accounts (org_id, email) SELECT $1, 'c' || g || '@cost.test' FROM generate_series(1, $2) g`, [
    orgId,
    N,
  ]);
  await new OrgPolicyRepository(ds).applyIfNewer({
    ...defaultOrgPolicy(orgId),
    version: 1,
    requireMfa: true,
    gracePeriodHours: 72,
    updatedAt: new Date().toISOString(),
  });
  return orgId;
}

beforeAll(async () => {
  ds = new DataSource(dataSourceOptions(process.env.DATABASE_URL!));
  await ds.initialize();
});
afterAll(() => ds?.destroy());

const PRE_GROUPS: PolicyExprs = { ...JOINED_POLICY, hasGroupPolicies: undefined };

const statements = {
  'count by state (joined policy, as the compliance snapshot)': (p: PolicyExprs) =>
    `SELECT ${enforcementStateSql(p, 'a', '$2::timestamptz')} AS state, count(*) FROM ${POLICY_JOIN} WHERE a.org_id = $1 GROUP BY 1`,
  'report page of 1,000 (deadline + groups)': (p: PolicyExprs) =>
    `SELECT a.id, ${enforcementStateSql(p, 'a', '$2::timestamptz')}, ${p.hasGroupPolicies ? `${DEADLINE}, ${POLICY_GROUPS}` : 'NULL'}
       FROM ${POLICY_JOIN} WHERE a.org_id = $1 AND $2::timestamptz IS NOT NULL ORDER BY a.id LIMIT 1000`,
};

describe('effective policy: the cost of the group part at 100,000 members', () => {
  it('costs nothing for an org without group policies, and reads memberships by index for one with them', async () => {
    const plain = await seedOrg();
    const grouped = await seedOrg();
    const [{ id: groupId }] = await ds.query(`INSERT INTO accounts.groups (org_id, name) VALUES ($1, 'g') RETURNING id`, [grouped]);
    await ds.query(
      `INSERT INTO accounts.group_members (group_id, account_id, org_id)
       SELECT $1, id, org_id FROM accounts.accounts WHERE org_id = $2 AND random() < 0.1`,
      [groupId, grouped],
    );
    await new GroupPolicyRepository(ds).applyIfNewer({
      ...defaultOrgPolicy(grouped),
      groupId,
      version: 1,
      requireMfa: true,
      updatedAt: new Date().toISOString(),
    });
    await ds.query('ANALYZE accounts.accounts; ANALYZE accounts.group_members; ANALYZE accounts.org_policies');
    const now = new Date();

    for (const [name, build] of Object.entries(statements)) {
      const before = await explain(build(PRE_GROUPS), [plain, now]);
      const withFlagOff = await explain(build(JOINED_POLICY), [plain, now]);
      const withGroups = await explain(build(JOINED_POLICY), [grouped, now]);
      expect(groupLoops(withFlagOff.plan).every((loops) => loops === 0)).toBe(true);
      expect(groupLoops(withGroups.plan).some((loops) => loops > 0)).toBe(true);
      console.log(
        `[cost ${N}] ${name}: before groups ${before.ms.toFixed(1)} ms; no group policy ${withFlagOff.ms.toFixed(1)} ms; ` +
          `10% in a group policy ${withGroups.ms.toFixed(1)} ms`,
      );
    }

    // the rollout's statement (bench/rollout.ts's raw UPDATE of the same SET list), rolled back:
    // for an org without group policies it is the statement of before groups, word for word
    const update = (set: string) =>
      `UPDATE accounts.accounts a SET ${set} WHERE a.org_id = $1 AND a.policy_version < $4 AND $2::text IS NULL AND $3::int IS NULL`;
    const orgPolicy = await new OrgPolicyRepository(ds).get(plain);
    expect(orgPolicy.hasGroupPolicies).toBe(false);
    expect(MATERIALIZE_SET).not.toMatch(/group_/);
    const off = await explain(update(MATERIALIZE_SET), [plain, null, null, ...policyParams({ ...orgPolicy, version: 2 })]);
    expect(groupLoops(off.plan)).toEqual([]);
    const groupedPolicy = await new OrgPolicyRepository(ds).get(grouped);
    expect(groupedPolicy.hasGroupPolicies).toBe(true);
    const on = await explain(update(MATERIALIZE_SET_GROUPS), [grouped, null, null, ...policyParams({ ...groupedPolicy, version: 2 })]);
    console.log(`[cost ${N}] materialize UPDATE: no group policy ${off.ms.toFixed(1)} ms; 10% in a group policy ${on.ms.toFixed(1)} ms`);

    // one member (accounts.authorize, accounts.get): one statement, the memberships by index
    const [{ id: one }] = await ds.query(`SELECT account_id AS id FROM accounts.group_members WHERE group_id = $1 LIMIT 1`, [groupId]);
    const read = await explain(
      `SELECT a.id, ${memberGroupPoliciesSql('p.has_group_policies')} AS g FROM ${POLICY_JOIN} WHERE a.id = $1 AND $2::timestamptz IS NOT NULL`,
      [one, now],
    );
    expect(nodes(read.plan).some((n) => n['Index Name'] === 'group_members_account_idx')).toBe(true);
    console.log(`[cost ${N}] one member with its group policies: ${read.ms.toFixed(2)} ms`);
  }, 300_000);
});
