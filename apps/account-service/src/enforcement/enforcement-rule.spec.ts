/** The SQL twin of the rule (enforcement.sql.ts) agrees with computeEnforcement on every case (real Postgres). */
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../database/data-source';
import { type AccountEnforcementFacts, defaultOrgPolicy, enforcementState, type OrgPolicyState } from './compute-enforcement';
import { enforcementStateSql, graceDeadlineSql, JOINED_POLICY } from './enforcement.sql';
import { toFacts } from './account-enforcement.repository';
import { OrgPolicyRepository } from './org-policy.repository';

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
];
const facts: Array<Partial<AccountEnforcementFacts>> = [];
for (const activeDeviceCount of [0, 2])
  for (const exemptUntil of [null, at(-1), at(5)])
    for (const graceAnchorAt of [null, at(-2), at(-48)])
      for (const createdAt of [at(-100), at(-1)]) facts.push({ activeDeviceCount, exemptUntil, graceAnchorAt, createdAt });

describe('enforcement rule in SQL', () => {
  it.each(policies.map((p, i) => [i, p] as const))('agrees with computeEnforcement for policy #%i on every account', async (_i, over) => {
    const orgId = randomUUID();
    const policy: OrgPolicyState = { ...defaultOrgPolicy(orgId), version: 1, ...over };
    await new OrgPolicyRepository(ds).applyIfNewer({ ...policy, updatedAt: (policy.requiredSince ?? now).toISOString() });
    for (const f of facts) {
      await ds.query(
        `INSERT INTO accounts.accounts (org_id, email, created_at, active_device_count, exempt_until, grace_anchor_at) VALUES ($1, $2, $3, $4, $5, $6)`,
        [orgId, `${randomUUID()}@rule.test`, f.createdAt, f.activeDeviceCount, f.exemptUntil, f.graceAnchorAt],
      );
    }
    const rows = await ds.query(
      `SELECT a.*, ${enforcementStateSql(JOINED_POLICY, 'a', '$2::timestamptz')} AS sql_state,
              CASE WHEN p.require_mfa THEN ${graceDeadlineSql(JOINED_POLICY)} END AS sql_deadline, p.required_since AS p_required_since
         FROM accounts.accounts a LEFT JOIN accounts.org_policies p ON p.org_id = a.org_id WHERE a.org_id = $1`,
      [orgId, now],
    );
    expect(rows).toHaveLength(facts.length);
    const stored = { ...policy, requiredSince: rows[0].p_required_since ? new Date(rows[0].p_required_since) : null };
    for (const row of rows) expect([row.sql_state, row]).toEqual([enforcementState(stored, toFacts(row), now), row]);
  });
});
