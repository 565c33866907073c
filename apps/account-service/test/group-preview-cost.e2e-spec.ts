/**
 * What the preview costs with groups, at 100,000 members (real Postgres, the preview's own two
 * statements through PolicyPreviewRepository): an org without group policies (the statement of
 * before groups), the same org size with a group policy on 10% of its members (the org preview
 * reads each member's group policies), and that group's own preview (10,000 members, the
 * proposal swapped in). Prints the timings; checks the totals.
 */
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { PolicyPreviewRepository } from '../src/compliance/policy-preview.repository';
import { groupScope, orgScope } from '../src/compliance/policy-preview.sql';
import { dataSourceOptions } from '../src/database/data-source';
import { defaultOrgPolicy, proposedPolicy } from '../src/enforcement/compute-enforcement';
import { GroupPolicyRepository } from '../src/enforcement/group-policy.repository';
import { OrgPolicyRepository } from '../src/enforcement/org-policy.repository';

const N = 100_000;
let ds: DataSource;

beforeAll(async () => {
  ds = new DataSource(dataSourceOptions(process.env.DATABASE_URL!));
  await ds.initialize();
});
afterAll(() => ds?.destroy());

async function seedOrg(): Promise<string> {
  const orgId = randomUUID();
  await ds.query(
    `INSERT INTO accounts.accounts (org_id, email, active_device_count, secure_active_device_count)
     SELECT $1, 'p' || g || '@preview-cost.test', (g % 3 = 0)::int, (g % 6 = 0)::int FROM generate_series(1, $2) g`,
    [orgId, N],
  );
  await new OrgPolicyRepository(ds).applyIfNewer({
    ...defaultOrgPolicy(orgId),
    version: 1,
    requireMfa: true,
    gracePeriodHours: 72,
    updatedAt: new Date().toISOString(),
  });
  return orgId;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

describe('policy preview: the cost of groups at 100,000 members', () => {
  it('an org without group policies, the same with one on 10%, and that group alone', async () => {
    const repo = new PolicyPreviewRepository(ds);
    const plain = await seedOrg();
    const grouped = await seedOrg();
    const [{ id: groupId }] = await ds.query(`INSERT INTO accounts.groups (org_id, name) VALUES ($1, 'g') RETURNING id`, [grouped]);
    await ds.query(
      `INSERT INTO accounts.group_members (group_id, account_id, org_id)
       SELECT $1, id, org_id FROM accounts.accounts WHERE org_id = $2 ORDER BY id LIMIT $3`,
      [groupId, grouped, N / 10],
    );
    await new GroupPolicyRepository(ds).applyIfNewer({
      ...defaultOrgPolicy(grouped),
      groupId,
      version: 1,
      requireMfa: true,
      gracePeriodHours: 24,
      updatedAt: new Date().toISOString(),
    });
    await ds.query(
      'ANALYZE accounts.accounts; ANALYZE accounts.group_members; ANALYZE accounts.org_policies; ANALYZE accounts.group_policies',
    );
    const now = new Date();
    const body = { requireMfa: true, gracePeriodHours: 48, secureMethodsOnly: true };
    const orgs = new OrgPolicyRepository(ds);
    const plainPolicy = await orgs.get(plain);
    const groupedPolicy = await orgs.get(grouped);
    expect([plainPolicy.hasGroupPolicies, groupedPolicy.hasGroupPolicies]).toEqual([false, true]);
    const storedGroup = (await new GroupPolicyRepository(ds).get(grouped, groupId))!;
    const scopes = {
      'org, no group policy': orgScope(plain, plainPolicy, proposedPolicy(plainPolicy, body, now), now),
      'org, a group policy on 10%': orgScope(grouped, groupedPolicy, proposedPolicy(groupedPolicy, body, now), now),
      'the group (10,000 members)': groupScope(grouped, groupId, groupedPolicy, proposedPolicy(storedGroup, body, now), now),
    };
    const totals: Record<string, number> = {};
    for (const [name, scope] of Object.entries(scopes)) {
      const times: number[] = [];
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        const r = await repo.preview(scope, { maxDays: 1000, sampleSize: 20 });
        times.push(performance.now() - t0);
        totals[name] = r.states.reduce((n, st) => n + st.n, 0);
        expect(r.sample).toHaveLength(20);
      }
      console.log(`[preview cost ${N}] ${name}: median of 3 ${median(times).toFixed(0)} ms (${times.map((t) => t.toFixed(0)).join(', ')})`);
    }
    expect(Object.values(totals)).toEqual([N, N, N / 10]);
  }, 300_000);
});
