/**
 * The effective policy (org + groups) in SQL (enforcement.sql.ts) agrees with effectiveEnforcement
 * (effective-enforcement.ts) on generated cases, on a real Postgres; and with no group policy it
 * is exactly computeEnforcement.
 */
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { type MfaMethod, MfaMethods } from '@mfa/contracts';
import { dataSourceOptions } from '../database/data-source';
import { type AccountEnforcementFacts, computeEnforcement, defaultOrgPolicy, type OrgPolicyState } from './compute-enforcement';
import {
  effectiveBlockedFrom,
  effectiveEnforcement,
  effectiveRequirement,
  type GroupPolicyState,
  swapGroupPolicy,
} from './effective-enforcement';
import {
  blockedFromSql,
  DEADLINE,
  effectiveRequiredSinceSql,
  enforcementStateSql,
  effectiveDeadlineSql,
  groupAggregateByAccountSql,
  groupAggregatesBySwapSql,
  groupAggregateSql,
  JOINED_POLICY,
  POLICY_GROUPS,
  POLICY_JOIN,
  policyGroupsSql,
  secureOnlySql,
} from './enforcement.sql';
import { toFacts } from './account-enforcement.repository';
import { GroupPolicyRepository, memberGroupPoliciesSql, toGroupPolicyStates } from './group-policy.repository';
import { JOINED_POLICY_COLUMNS, OrgPolicyRepository, toOrgPolicyState } from './org-policy.repository';

const H = 3_600_000;
const now = new Date('2030-06-01T12:00:00.000Z');
const at = (h: number) => new Date(now.getTime() + h * H);

/** mulberry32: the same cases on every run. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let ds: DataSource;
beforeAll(async () => {
  ds = new DataSource(dataSourceOptions(process.env.DATABASE_URL!));
  await ds.initialize();
});
afterAll(() => ds?.destroy());

function randomPolicy(rnd: () => number): Omit<OrgPolicyState, 'orgId'> {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const requireMfa = rnd() < 0.65;
  const methods = MfaMethods.filter(() => rnd() < 0.7);
  return {
    version: 1,
    requireMfa,
    gracePeriodHours: pick([0, 1, 24, 72]),
    allowedMethods: (methods.length ? methods : ['totp']) as MfaMethod[],
    maxMfaAgeSeconds: pick([null, 60, 3600, 86400]),
    secureMethodsOnly: rnd() < 0.3,
    conditions: [],
    requiredSince: requireMfa ? at(pick([-200, -30, -10, -1])) : null,
    updatedAt: null,
  };
}

function randomFacts(rnd: () => number): AccountEnforcementFacts {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const [activeDeviceCount, secureActiveDeviceCount] = pick([
    [0, 0],
    [0, 0],
    [2, 0],
    [2, 1],
  ]);
  return {
    createdAt: at(pick([-300, -50, -5, -0.5])),
    activeDeviceCount,
    secureActiveDeviceCount,
    graceAnchorAt: pick([null, null, at(-2), at(-48)]),
    exemptUntil: pick([null, null, at(-1), at(5)]),
    exemptReason: null,
  };
}

/** The same policy with the group terms read from groupAggregateSql joined as `g` (the preview's spelling). */
const FOLDED = { ...JOINED_POLICY, groupAgg: 'g' };
/**
 * The same, read from groupAggregateByAccountSql hash-joined as `h` (the org preview's spelling):
 * the deadline from its parts, or per row when the member's requiring group policies have different
 * grace periods (`h.hours` NULL: counted below, so both ways are checked).
 */
const BY_ACCOUNT = { ...JOINED_POLICY, groupAgg: 'h', groupAggByAccount: true };

/** An org with an org policy, `groups` group policies and `n` accounts in random groups; SQL and TS per account. */
async function generatedOrg(seed: number, groupCount: number, n: number) {
  const { orgId } = await seedOrg(prng(seed), groupCount, n);
  return ds.query(
    `SELECT a.*, ${JOINED_POLICY_COLUMNS},
            ${enforcementStateSql(JOINED_POLICY, 'a', '$2::timestamptz')} AS sql_state, ${DEADLINE} AS sql_deadline,
            ${effectiveRequiredSinceSql(JOINED_POLICY)} AS sql_required_since, ${secureOnlySql(JOINED_POLICY)} AS sql_secure,
            ${POLICY_GROUPS} AS sql_groups, ${memberGroupPoliciesSql('p.has_group_policies')} AS group_policies,
            ${blockedFromSql(JOINED_POLICY, 'a', '$2::timestamptz')} AS sql_blocked,
            ${enforcementStateSql(FOLDED, 'a', '$2::timestamptz')} AS agg_state, ${effectiveDeadlineSql(FOLDED)} AS agg_deadline,
            ${blockedFromSql(FOLDED, 'a', '$2::timestamptz')} AS agg_blocked,
            ${enforcementStateSql(BY_ACCOUNT, 'a', '$2::timestamptz')} AS hash_state, ${effectiveDeadlineSql(BY_ACCOUNT)} AS hash_deadline,
            ${blockedFromSql(BY_ACCOUNT, 'a', '$2::timestamptz')} AS hash_blocked,
            h.requires IS TRUE AND h.hours IS NULL AS hash_per_row
       FROM ${POLICY_JOIN} LEFT JOIN LATERAL ${groupAggregateSql({}, 'a')} g ON true
            LEFT JOIN ${groupAggregateByAccountSql('$1::uuid')} h ON h.account_id = a.id
      WHERE a.org_id = $1`,
    [orgId, now],
  );
}

async function seedOrg(rnd: () => number, groupCount: number, n: number): Promise<{ orgId: string; groupIds: string[] }> {
  const orgId = randomUUID();
  const org = { ...randomPolicy(rnd), orgId };
  if (rnd() < 0.85) await new OrgPolicyRepository(ds).applyIfNewer({ ...org, updatedAt: (org.requiredSince ?? at(-400)).toISOString() });
  const groupIds: string[] = [];
  for (let g = 0; g < groupCount; g++) {
    const [{ id }] = await ds.query(`INSERT INTO accounts.groups (org_id, name) VALUES ($1, $2) RETURNING id`, [orgId, `g${g}`]);
    groupIds.push(id);
    // a group without a policy now and then: it must not count
    if (rnd() < 0.85) {
      const p = randomPolicy(rnd);
      await new GroupPolicyRepository(ds).applyIfNewer({
        ...p,
        orgId,
        groupId: id,
        updatedAt: (p.requiredSince ?? at(-400)).toISOString(),
      });
    }
  }
  for (let i = 0; i < n; i++) {
    const f = randomFacts(rnd);
    const [{ id }] = await ds.query(
      `INSERT INTO accounts.accounts (org_id, email, created_at, active_device_count, secure_active_device_count, exempt_until, grace_anchor_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
      [orgId, `${randomUUID()}@rule.test`, f.createdAt, f.activeDeviceCount, f.secureActiveDeviceCount, f.exemptUntil, f.graceAnchorAt],
    );
    for (const g of groupIds)
      if (rnd() < 0.4)
        await ds.query(`INSERT INTO accounts.group_members (group_id, account_id, org_id) VALUES ($1, $2, $3)`, [g, id, orgId]);
  }
  return { orgId, groupIds };
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

describe('effective policy: SQL twin', () => {
  const seen = { states: new Set<string>(), inTwoGroups: 0, groupDeadlineWins: 0, hashFromParts: 0, hashPerRow: 0 };
  afterAll(() => {
    // the generated cases cover what they must (checked once every org has run)
    expect([...seen.states].sort()).toEqual(['compliant', 'exempt', 'non_compliant', 'not_required', 'pending']);
    expect(seen.inTwoGroups).toBeGreaterThan(10);
    expect(seen.groupDeadlineWins).toBeGreaterThan(5);
    // groupAggregateByAccountSql's deadline: from its parts, and per row (different grace periods)
    expect(seen.hashFromParts).toBeGreaterThan(10);
    expect(seen.hashPerRow).toBeGreaterThan(3);
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((seed) => [seed, seed % 4] as const))(
    'agrees with effectiveEnforcement on generated org #%i (%i groups)',
    async (seed, groupCount) => {
      const rows = await generatedOrg(seed, groupCount, 60);
      expect(rows).toHaveLength(60);
      for (const row of rows) {
        seen.states.add(row.sql_state);
        if (row.sql_groups.length >= 2) seen.inTwoGroups++;
        if (row.hash_deadline) seen[row.hash_per_row ? 'hashPerRow' : 'hashFromParts']++;
        const org = toOrgPolicyState(row.org_id, row);
        const groups: GroupPolicyState[] = toGroupPolicyStates(row.org_id, row.group_policies);
        const ts = effectiveEnforcement(org, groups, toFacts(row), now);
        const sql = {
          state: row.sql_state,
          graceDeadline: iso(row.sql_deadline),
          requiredSince: iso(row.sql_required_since),
          secure: row.sql_secure,
          groups: row.sql_groups,
          blocked: iso(row.sql_blocked),
        };
        // the folded spelling gives the same values
        expect([{ state: row.agg_state, deadline: iso(row.agg_deadline), blocked: iso(row.agg_blocked) }, row.id]).toEqual([
          { state: row.sql_state, deadline: iso(row.sql_deadline), blocked: iso(row.sql_blocked) },
          row.id,
        ]);
        expect([{ state: row.hash_state, deadline: iso(row.hash_deadline), blocked: iso(row.hash_blocked) }, row.id]).toEqual([
          { state: row.sql_state, deadline: iso(row.sql_deadline), blocked: iso(row.sql_blocked) },
          row.id,
        ]);
        expect([sql, row.id]).toEqual([
          {
            state: ts.state,
            graceDeadline: ts.graceDeadline,
            requiredSince: ts.requiredSince,
            secure: ts.effectivePolicy!.secureMethodsOnly,
            groups: ts.groups,
            blocked: iso(effectiveBlockedFrom(effectiveRequirement(org, groups, toFacts(row)), toFacts(row), now)),
          },
          row.id,
        ]);
        const orgDeadline = computeEnforcement(org, toFacts(row), now).graceDeadline;
        if (ts.graceDeadline && ts.graceDeadline !== orgDeadline) seen.groupDeadlineWins++;
      }
    },
  );

  it.each([21, 22, 23, 24, 25, 26, 27, 28].map((seed) => [seed, 1 + (seed % 3)] as const))(
    "with a proposal in place of one group policy (the preview's groupSwap) agrees with swapGroupPolicy, org #%i (%i groups)",
    async (seed, groupCount) => {
      const rnd = prng(seed);
      const { orgId, groupIds } = await seedOrg(rnd, groupCount, 50);
      const groupId = groupIds[0];
      const proposal: GroupPolicyState = { ...randomPolicy(rnd), orgId, groupId };
      // as the preview binds it: the org's columns joined, the proposal as parameters, the group part read
      const swapped = {
        ...JOINED_POLICY,
        hasGroupPolicies: 'true',
        groupSwap: {
          groupId: '$3::uuid',
          requireMfa: '$4::boolean',
          requiredSince: '$5::timestamptz',
          gracePeriodHours: '$6::int',
          secureMethodsOnly: '$7::boolean',
        },
      };
      // groupAggregatesBySwapSql read as the group preview reads it: `xa` after, `xb` before
      const BY_SWAP_AFTER = { ...swapped, groupAgg: 'xa', groupAggByAccount: true };
      const BY_SWAP_BEFORE = { ...JOINED_POLICY, groupAgg: 'xb', groupAggByAccount: true };
      const rows = await ds.query(
        `SELECT a.*, ${JOINED_POLICY_COLUMNS}, ${memberGroupPoliciesSql('true')} AS group_policies,
                EXISTS (SELECT 1 FROM accounts.group_members m WHERE m.group_id = $3 AND m.account_id = a.id) AS in_group,
                ${enforcementStateSql(swapped, 'a', '$2::timestamptz')} AS sql_state,
                ${blockedFromSql(swapped, 'a', '$2::timestamptz')} AS sql_blocked, ${policyGroupsSql(swapped)} AS sql_groups,
                ${enforcementStateSql({ ...swapped, groupAgg: 'ga' }, 'a', '$2::timestamptz')} AS agg_state,
                ${blockedFromSql({ ...swapped, groupAgg: 'ga' }, 'a', '$2::timestamptz')} AS agg_blocked,
                ${enforcementStateSql(BY_SWAP_AFTER, 'a', '$2::timestamptz')} AS x_state,
                ${blockedFromSql(BY_SWAP_AFTER, 'a', '$2::timestamptz')} AS x_blocked,
                ${enforcementStateSql(BY_SWAP_BEFORE, 'a', '$2::timestamptz')} AS xb_state,
                ${enforcementStateSql(JOINED_POLICY, 'a', '$2::timestamptz')} AS stored_state
           FROM ${POLICY_JOIN} LEFT JOIN LATERAL ${groupAggregateSql(swapped, 'a')} ga ON true
                LEFT JOIN ${groupAggregatesBySwapSql('$1::uuid', swapped.groupSwap)} x ON x.account_id = a.id
                LEFT JOIN LATERAL (SELECT x.a_requires AS requires, x.a_secure AS secure, x.a_hours AS hours, x.a_since AS since) xa ON true
                LEFT JOIN LATERAL (SELECT x.b_requires AS requires, x.b_secure AS secure, x.b_hours AS hours, x.b_since AS since) xb ON true
          WHERE a.org_id = $1`,
        [orgId, now, groupId, proposal.requireMfa, proposal.requiredSince, proposal.gracePeriodHours, proposal.secureMethodsOnly],
      );
      let members = 0;
      for (const row of rows) {
        if (row.in_group) members++;
        const org = toOrgPolicyState(row.org_id, row);
        const groups = swapGroupPolicy(toGroupPolicyStates(row.org_id, row.group_policies), proposal, row.in_group);
        const facts = toFacts(row);
        const ts = effectiveEnforcement(org, groups, facts, now);
        expect([{ state: row.agg_state, blocked: iso(row.agg_blocked) }, row.id]).toEqual([
          { state: row.sql_state, blocked: iso(row.sql_blocked) },
          row.id,
        ]);
        // the group preview's one aggregate (its members only): after as the swap, before as stored
        if (row.in_group)
          expect([{ state: row.x_state, blocked: iso(row.x_blocked), before: row.xb_state }, row.id]).toEqual([
            { state: row.sql_state, blocked: iso(row.sql_blocked), before: row.stored_state },
            row.id,
          ]);
        expect([{ state: row.sql_state, blocked: iso(row.sql_blocked), groups: row.sql_groups }, row.id]).toEqual([
          { state: ts.state, blocked: iso(effectiveBlockedFrom(effectiveRequirement(org, groups, facts), facts, now)), groups: ts.groups },
          row.id,
        ]);
      }
      expect(members).toBeGreaterThan(5);
    },
  );

  it('with no group policy the effective rule is computeEnforcement, case for case', () => {
    const rnd = prng(99);
    for (let i = 0; i < 500; i++) {
      const org = { ...randomPolicy(rnd), orgId: 'o' };
      const facts = randomFacts(rnd);
      const { effectivePolicy, groups, ...rest } = effectiveEnforcement(org, [], facts, now);
      expect(rest).toEqual(computeEnforcement(org, facts, now));
      expect(groups).toEqual([]);
      expect(effectivePolicy).toEqual({
        requireMfa: org.requireMfa,
        allowedMethods: org.allowedMethods,
        maxMfaAgeSeconds: org.maxMfaAgeSeconds,
        secureMethodsOnly: org.secureMethodsOnly,
      });
    }
  });

  it('the flag gates the group part: a group policy the org flag does not announce is not read', async () => {
    const orgId = randomUUID();
    await new OrgPolicyRepository(ds).applyIfNewer({ ...defaultOrgPolicy(orgId), version: 1, updatedAt: at(-10).toISOString() });
    const [{ id: groupId }] = await ds.query(`INSERT INTO accounts.groups (org_id, name) VALUES ($1, 'g') RETURNING id`, [orgId]);
    const [{ id }] = await ds.query(`INSERT INTO accounts.accounts (org_id, email) VALUES ($1, $2) RETURNING id`, [
      orgId,
      `${randomUUID()}@x.test`,
    ]);
    await ds.query(`INSERT INTO accounts.group_members (group_id, account_id, org_id) VALUES ($1, $2, $3)`, [groupId, id, orgId]);
    const read = async () =>
      (
        await ds.query(
          `SELECT ${enforcementStateSql(JOINED_POLICY, 'a', '$2::timestamptz')} AS state, ${POLICY_GROUPS} AS groups
             FROM ${POLICY_JOIN} WHERE a.id = $1`,
          [id, now],
        )
      )[0];
    await new GroupPolicyRepository(ds).applyIfNewer({
      ...defaultOrgPolicy(orgId),
      groupId,
      version: 1,
      requireMfa: true,
      updatedAt: at(-10).toISOString(),
    });
    expect(await read()).toEqual({ state: 'non_compliant', groups: [groupId] });
    await ds.query(`UPDATE accounts.org_policies SET has_group_policies = false WHERE org_id = $1`, [orgId]);
    expect(await read()).toEqual({ state: 'not_required', groups: [] });
  });
});
