/** The SQL twin of the rule (enforcement.sql.ts) agrees with computeEnforcement on every case (real Postgres). */
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../database/data-source';
import {
  type AccountEnforcementFacts,
  blockedFrom,
  computeEnforcement,
  defaultOrgPolicy,
  enforcementState,
  type OrgPolicyState,
} from './compute-enforcement';
import { blockedFromSql, DEADLINE, enforcementStateSql, JOINED_POLICY, POLICY_JOIN, type PolicyExprs } from './enforcement.sql';
import { toFacts } from './account-enforcement.repository';
import { JOINED_POLICY_COLUMNS, OrgPolicyRepository, toOrgPolicyState } from './org-policy.repository';

const H = 3_600_000;
const now = new Date('2030-06-01T12:00:00.000Z');
const at = (h: number) => new Date(now.getTime() + h * H);

let ds: DataSource;
beforeAll(async () => {
  ds = new DataSource(dataSourceOptions(process.env.DATABASE_URL!));
  await ds.initialize();
});
afterAll(() => ds?.destroy());

const policies: Array<Partial<OrgPolicyState>> = [
  { requireMfa: false, requiredSince: null },
  { requireMfa: true, gracePeriodHours: 0, requiredSince: at(-10) },
  { requireMfa: true, gracePeriodHours: 24, requiredSince: at(-10) },
  { requireMfa: true, gracePeriodHours: 24, requiredSince: at(-30) },
  { requireMfa: true, gracePeriodHours: 0, requiredSince: at(-10), secureMethodsOnly: true },
  { requireMfa: true, gracePeriodHours: 24, requiredSince: at(-10), secureMethodsOnly: true },
  { requireMfa: false, requiredSince: null, secureMethodsOnly: true },
];
const facts: Array<Partial<AccountEnforcementFacts>> = [];
// [active devices, of which secure]: none, SMS only, one secure beside an SMS
for (const [activeDeviceCount, secureActiveDeviceCount] of [
  [0, 0],
  [2, 0],
  [2, 1],
])
  for (const exemptUntil of [null, at(-1), at(5)])
    for (const graceAnchorAt of [null, at(-2), at(-48)])
      for (const createdAt of [at(-100), at(-1)])
        facts.push({ activeDeviceCount, secureActiveDeviceCount, exemptUntil, graceAnchorAt, createdAt });

/** Accounts of every fact combination in `orgId`; answers the SQL's state and deadline per row, with the joined policy. */
async function throughSql(orgId: string) {
  for (const f of facts) {
    await ds.query(
      `INSERT INTO accounts.accounts (org_id, email, created_at, active_device_count, secure_active_device_count, exempt_until, grace_anchor_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [orgId, `${randomUUID()}@rule.test`, f.createdAt, f.activeDeviceCount, f.secureActiveDeviceCount, f.exemptUntil, f.graceAnchorAt],
    );
  }
  const rows = await ds.query(
    `SELECT a.*, ${enforcementStateSql(JOINED_POLICY, 'a', '$2::timestamptz')} AS sql_state, ${DEADLINE} AS sql_deadline, ${JOINED_POLICY_COLUMNS}
       FROM ${POLICY_JOIN} WHERE a.org_id = $1`,
    [orgId, now],
  );
  expect(rows).toHaveLength(facts.length);
  return rows;
}

describe('enforcement rule in SQL', () => {
  it.each(policies.map((p, i) => [i, p] as const))('agrees with computeEnforcement for policy #%i on every account', async (_i, over) => {
    const orgId = randomUUID();
    const policy: OrgPolicyState = { ...defaultOrgPolicy(orgId), version: 1, ...over };
    await new OrgPolicyRepository(ds).applyIfNewer({ ...policy, updatedAt: (policy.requiredSince ?? now).toISOString() });
    const rows = await throughSql(orgId);
    const stored = { ...policy, requiredSince: rows[0].required_since ? new Date(rows[0].required_since) : null };
    for (const row of rows) {
      expect([row.sql_state, row]).toEqual([enforcementState(stored, toFacts(row), now), row]);
      expect([row.sql_deadline?.toISOString() ?? null, row]).toEqual([computeEnforcement(stored, toFacts(row), now).graceDeadline, row]);
    }
  });

  it('under secureMethodsOnly a member with only SMS devices is not compliant, in both', async () => {
    const orgId = randomUUID();
    const policy: OrgPolicyState = {
      ...defaultOrgPolicy(orgId),
      version: 1,
      requireMfa: true,
      gracePeriodHours: 0,
      requiredSince: at(-10),
      secureMethodsOnly: true,
    };
    await new OrgPolicyRepository(ds).applyIfNewer({ ...policy, updatedAt: at(-10).toISOString() });
    const rows = await throughSql(orgId);
    const smsOnly = rows.filter(
      (r: { active_device_count: number; secure_active_device_count: number; exempt_until: Date | null }) =>
        r.active_device_count > 0 && r.secure_active_device_count === 0 && r.exempt_until === null,
    );
    expect(smsOnly.length).toBeGreaterThan(0);
    for (const row of smsOnly)
      expect([row.sql_state, enforcementState(policy, toFacts(row), now)]).toEqual(['non_compliant', 'non_compliant']);
    expect(
      rows
        .filter((r: { secure_active_device_count: number }) => r.secure_active_device_count > 0)
        .every((r: { sql_state: string }) => r.sql_state === 'compliant'),
    ).toBe(true);
  });

  it('an org with no policy row: the join reads as defaultOrgPolicy, and SQL and TypeScript agree on it', async () => {
    const orgId = randomUUID();
    const rows = await throughSql(orgId);
    for (const row of rows) {
      expect(toOrgPolicyState(orgId, row)).toEqual(defaultOrgPolicy(orgId));
      expect([row.sql_state, row.sql_deadline]).toEqual([enforcementState(defaultOrgPolicy(orgId), toFacts(row), now), null]);
    }
  });

  it.each(policies.map((p, i) => [i, p] as const))(
    'blockedFromSql, with the policy as bound parameters (as the preview binds it), agrees with blockedFrom for policy #%i',
    async (_i, over) => {
      const orgId = randomUUID();
      const policy: OrgPolicyState = { ...defaultOrgPolicy(orgId), version: 1, ...over };
      await throughSql(orgId);
      const bound: PolicyExprs = {
        requireMfa: '$3::boolean',
        requiredSince: '$4::timestamptz',
        gracePeriodHours: '$5::int',
        secureMethodsOnly: '$6::boolean',
      };
      const rows = await ds.query(
        `SELECT a.*, ${blockedFromSql(bound, 'a', '$2::timestamptz')} AS sql_blocked, ${enforcementStateSql(bound, 'a', '$2::timestamptz')} AS sql_state
           FROM accounts.accounts a WHERE a.org_id = $1`,
        [orgId, now, policy.requireMfa, policy.requiredSince, policy.gracePeriodHours, policy.secureMethodsOnly],
      );
      expect(rows).toHaveLength(facts.length);
      for (const row of rows) {
        const ts = blockedFrom(policy, toFacts(row), now);
        expect([row.sql_blocked?.toISOString() ?? null, row]).toEqual([ts?.toISOString() ?? null, row]);
        expect([row.sql_state, row]).toEqual([enforcementState(policy, toFacts(row), now), row]);
      }
    },
  );
});
