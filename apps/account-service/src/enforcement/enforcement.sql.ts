/**
 * The enforcement rule of compute-enforcement.ts, as SQL, for set-based work (listing by state,
 * counting by state, materializing a rollout). Keep the two in step: enforcement-rule.spec.ts
 * runs the same cases through both.
 *
 * Each argument is an SQL expression (a column of a joined org_policies row, or a bound
 * parameter with its cast), so the same text serves a join and a per-org statement.
 */
export interface PolicyExprs {
  requireMfa: string;
  requiredSince: string;
  gracePeriodHours: string;
  secureMethodsOnly: string;
  /**
   * The org's flag "some group of this org has a policy" (org_policies.has_group_policies, or a
   * bound parameter). Absent or false: the group part of the effective policy is not evaluated at
   * all (every group subquery sits behind it), so an org without group policies pays nothing.
   */
  hasGroupPolicies?: string;
  /**
   * The preview's "after" of a group policy: for the members of `groupId`, this policy (bound
   * expressions) stands in place of that group's stored one; their other groups still apply.
   * Needs `hasGroupPolicies` (the group part is read only behind it).
   */
  groupSwap?: GroupSwapExprs;
  /**
   * The alias of `groupAggregateSql` joined once per row (LEFT JOIN LATERAL ... ON true), or of
   * `groupAggregateByAccountSql` hash-joined by account (the previews; then `groupAggByAccount`):
   * the group terms then read its columns instead of each running its own subquery (the
   * preview's statements, where every row evaluates several of them). Same values;
   * effective-rule.spec.ts checks both. With a swap, the aggregate must be built with it.
   */
  groupAgg?: string;
  /** `groupAgg` is groupAggregateByAccountSql's: the deadline is read from its parts. */
  groupAggByAccount?: boolean;
}

/** A group's proposed policy as SQL expressions (bound parameters with their casts). */
export interface GroupSwapExprs {
  groupId: string;
  requireMfa: string;
  requiredSince: string;
  gracePeriodHours: string;
  secureMethodsOnly: string;
}

/** `org_policies` joined as `p` (LEFT JOIN: an org with no row has MFA off). */
export const JOINED_POLICY: PolicyExprs = {
  requireMfa: 'p.require_mfa',
  requiredSince: 'p.required_since',
  gracePeriodHours: 'p.grace_period_hours',
  secureMethodsOnly: 'p.secure_methods_only',
  hasGroupPolicies: 'p.has_group_policies',
};

/**
 * THE effective policy of a member: its org's row of org_policies as `p`, absent (every column
 * NULL, read as defaultOrgPolicy) for an org that never received one. `of` is the alias of a
 * relation with an org_id column. The only place org_policies is joined.
 */
export function policyJoin(of = 'a'): string {
  return `LEFT JOIN accounts.org_policies p ON p.org_id = ${of}.org_id`;
}

/** Members (`a`) with their effective policy (`p`). */
export const POLICY_JOIN = `accounts.accounts a ${policyJoin('a')}`;

/** GREATEST ignores NULLs: a missing anchor or requiredSince falls out of the max. */
export function graceDeadlineSql(p: Pick<PolicyExprs, 'requiredSince' | 'gracePeriodHours'>, a = 'a'): string {
  return `(GREATEST(${p.requiredSince}, ${a}.created_at, ${a}.grace_anchor_at) + make_interval(hours => ${p.gracePeriodHours}))`;
}

// ---- groups: the effective policy (twin of effective-enforcement.ts) ----------------------------
// Each group term is a correlated subquery on the member's group policies (index
// group_members_account_idx), guarded by the org's flag: `false AND (subquery)` never runs it.

/**
 * The policies of the member `a`'s groups, as `gp` (`FROM ... WHERE ...`: callers append `AND ...`).
 * With a swap, the swapped group's stored row is left out and the proposal stands in for it when
 * `a` is a member of that group.
 */
function memberGroupPolicies(p: Pick<PolicyExprs, 'groupSwap'>, a: string): string {
  const stored = `accounts.group_members gm JOIN accounts.group_policies gp ON gp.group_id = gm.group_id WHERE gm.account_id = ${a}.id`;
  const s = p.groupSwap;
  if (!s) return stored;
  return `(SELECT gp.group_id, gp.require_mfa, gp.required_since, gp.grace_period_hours, gp.secure_methods_only
             FROM ${stored} AND gp.group_id <> ${s.groupId}
           UNION ALL
           SELECT gm.group_id, ${s.requireMfa}, ${s.requiredSince}, ${s.gracePeriodHours}, ${s.secureMethodsOnly}
             FROM accounts.group_members gm WHERE gm.group_id = ${s.groupId} AND gm.account_id = ${a}.id) gp WHERE true`;
}

function guarded(p: Pick<PolicyExprs, 'hasGroupPolicies'>, expr: string): string | null {
  return p.hasGroupPolicies ? `(${p.hasGroupPolicies} IS TRUE AND ${expr})` : null;
}

/**
 * The member's group policies folded once: `requires` and `secure` (some group policy says so;
 * NULL for none), `deadline` (the earliest of the requiring ones). Joined as `groupAgg`.
 */
export function groupAggregateSql(p: Pick<PolicyExprs, 'groupSwap'>, a = 'a'): string {
  const deadline = graceDeadlineSql({ requiredSince: 'gp.required_since', gracePeriodHours: 'gp.grace_period_hours' }, a);
  return `(SELECT bool_or(gp.require_mfa) AS requires, bool_or(gp.secure_methods_only) AS secure,
                  min(CASE WHEN gp.require_mfa THEN ${deadline} END) AS deadline
             FROM ${memberGroupPolicies(p, a)})`;
}

/**
 * groupAggregateSql for every member of the org `orgId` at once, as a derived table keyed by
 * `account_id`, to be hash-joined to the org's accounts (`LEFT JOIN <this> g ON g.account_id =
 * a.id`, read with `groupAggByAccount`): one hashed GROUP BY over the org's memberships joined to
 * their group policies, and nothing else. A member of no group has no row and reads NULLs, as
 * the lateral's aggregate over no row answers; so the work is the memberships', not the org's.
 *
 * The deadline depends on the member's anchors (created_at, grace_anchor_at), which this does not
 * read (joining the member's row back cost 100,000 random index probes, 0.7 s, at 1,000,000
 * members): it gives its parts instead, `hours` (the grace period every requiring policy shares;
 * NULL when they differ) and `since` (their earliest requiredSince; -infinity if one has none, which
 * GREATEST then passes over as it passes over NULL). With one shared grace period,
 * min(GREATEST(since_i, anchors) + hours) = GREATEST(min since_i, anchors) + hours (GREATEST is
 * monotonic): exact. When the periods
 * differ, groupAggDeadlineSql asks the member's policies per row. effective-rule.spec.ts checks it
 * equal to the lateral.
 */
export function groupAggregateByAccountSql(orgId: string): string {
  return `(SELECT gm.account_id, ${foldedColumns('true', '')}
             FROM accounts.group_members gm
             JOIN accounts.group_policies gp ON gp.group_id = gm.group_id AND gp.org_id = ${orgId}
            WHERE gm.org_id = ${orgId}
            GROUP BY gm.account_id)`;
}

/**
 * groupAggregateByAccountSql for the members of the group `swap.groupId` (one row each), on both
 * sides of the group preview at once: `b_*` their stored group policies, `a_*` the same with the
 * proposal in place of that group's (memberGroupPolicies' swap). One GROUP BY, joined as one.
 */
export function groupAggregatesBySwapSql(orgId: string, swap: GroupSwapExprs): string {
  return `(SELECT m.account_id, ${foldedColumns('gp.b', 'b_')}, ${foldedColumns('gp.a', 'a_')}
             FROM accounts.group_members m
             JOIN accounts.group_members gm ON gm.org_id = ${orgId} AND gm.account_id = m.account_id
             JOIN (SELECT group_id, require_mfa, required_since, grace_period_hours, secure_methods_only,
                          true AS b, group_id <> ${swap.groupId} AS a
                     FROM accounts.group_policies WHERE org_id = ${orgId}
                   UNION ALL
                   SELECT ${swap.groupId}, ${swap.requireMfa}, ${swap.requiredSince}, ${swap.gracePeriodHours}, ${swap.secureMethodsOnly},
                          false, true) gp ON gp.group_id = gm.group_id
            WHERE m.group_id = ${swap.groupId} AND m.org_id = ${orgId}
            GROUP BY m.account_id)`;
}

/** The folded columns (see groupAggregateByAccountSql) over the rows `gp` where `side` holds, named `prefix*`. */
function foldedColumns(side: string, prefix: string): string {
  const all = `FILTER (WHERE ${side})`;
  const req = `FILTER (WHERE ${side} AND gp.require_mfa)`;
  return `bool_or(gp.require_mfa) ${all} AS ${prefix}requires, bool_or(gp.secure_methods_only) ${all} AS ${prefix}secure,
          CASE WHEN min(gp.grace_period_hours) ${req} = max(gp.grace_period_hours) ${req}
                AND bool_and(gp.grace_period_hours IS NOT NULL) ${req}
               THEN min(gp.grace_period_hours) ${req} END AS ${prefix}hours,
          min(COALESCE(gp.required_since, '-infinity'::timestamptz)) ${req} AS ${prefix}since`;
}

type GroupPart = Pick<PolicyExprs, 'hasGroupPolicies' | 'groupSwap' | 'groupAgg' | 'groupAggByAccount'>;

/** Some group policy of the member requires MFA. */
function groupRequiresSql(p: GroupPart, a: string): string | null {
  if (p.groupAgg) return guarded(p, `${p.groupAgg}.requires IS TRUE`);
  return guarded(p, `EXISTS (SELECT 1 FROM ${memberGroupPolicies(p, a)} AND gp.require_mfa)`);
}

/** required if any requires. */
export function requiredSql(p: Pick<PolicyExprs, 'requireMfa'> & GroupPart, a = 'a'): string {
  const g = groupRequiresSql(p, a);
  return g ? `(${p.requireMfa} IS TRUE OR ${g})` : `(${p.requireMfa} IS TRUE)`;
}

/** secureMethodsOnly if any policy of the member says so. */
export function secureOnlySql(p: Pick<PolicyExprs, 'secureMethodsOnly'> & GroupPart, a = 'a'): string {
  const g = p.groupAgg
    ? guarded(p, `${p.groupAgg}.secure IS TRUE`)
    : guarded(p, `EXISTS (SELECT 1 FROM ${memberGroupPolicies(p, a)} AND gp.secure_methods_only)`);
  return g ? `(${p.secureMethodsOnly} IS TRUE OR ${g})` : `(${p.secureMethodsOnly} IS TRUE)`;
}

/** The earliest deadline of the requiring policies; NULL while none requires. LEAST ignores NULLs. */
export function effectiveDeadlineSql(p: PolicyExprs, a = 'a'): string {
  const org = `CASE WHEN ${p.requireMfa} IS TRUE THEN ${graceDeadlineSql(p, a)} END`;
  if (!p.hasGroupPolicies) return `(${org})`;
  if (p.groupAgg) return `LEAST(${org}, CASE WHEN ${p.hasGroupPolicies} IS TRUE THEN ${groupAggDeadlineSql(p, a)} END)`;
  return `LEAST(${org}, CASE WHEN ${p.hasGroupPolicies} IS TRUE THEN ${groupDeadlineSubquery(p, a)} END)`;
}

/** The earliest deadline of the member's requiring group policies, one subquery. */
function groupDeadlineSubquery(p: Pick<PolicyExprs, 'groupSwap'>, a: string): string {
  const deadline = graceDeadlineSql({ requiredSince: 'gp.required_since', gracePeriodHours: 'gp.grace_period_hours' }, a);
  return `(SELECT min(${deadline}) FROM ${memberGroupPolicies(p, a)} AND gp.require_mfa)`;
}

/** The same, read from `groupAgg`: its column, or (by account) from its parts (see groupAggregateByAccountSql). */
function groupAggDeadlineSql(p: GroupPart, a: string): string {
  const g = p.groupAgg!;
  if (!p.groupAggByAccount) return `${g}.deadline`;
  return `(CASE WHEN ${g}.hours IS NOT NULL THEN ${graceDeadlineSql({ requiredSince: `${g}.since`, gracePeriodHours: `${g}.hours` }, a)}
                WHEN ${g}.requires IS TRUE THEN ${groupDeadlineSubquery(p, a)} END)`;
}

/** The earliest requiredSince of the requiring policies (the snapshot's required_since). */
export function effectiveRequiredSinceSql(p: PolicyExprs, a = 'a'): string {
  const org = `CASE WHEN ${p.requireMfa} IS TRUE THEN ${p.requiredSince} END`;
  if (!p.hasGroupPolicies) return `(${org})`;
  const groups = `CASE WHEN ${p.hasGroupPolicies} IS TRUE THEN (SELECT min(gp.required_since) FROM ${memberGroupPolicies(p, a)} AND gp.require_mfa) END`;
  return `LEAST(${org}, ${groups})`;
}

/** The member's groups that have a policy (sorted ids; '{}' for none): "the group(s) that made it". */
export function policyGroupsSql(p: Pick<PolicyExprs, 'hasGroupPolicies' | 'groupSwap'>, a = 'a'): string {
  if (!p.hasGroupPolicies) return `'{}'::uuid[]`;
  return `(CASE WHEN ${p.hasGroupPolicies} IS TRUE THEN ARRAY(SELECT gp.group_id FROM ${memberGroupPolicies(p, a)} ORDER BY gp.group_id) ELSE '{}'::uuid[] END)`;
}

/** countedDevices: under secureMethodsOnly (of any of the member's policies) only the secure active devices count (no row: false). */
export function countedDevicesSql(p: Pick<PolicyExprs, 'secureMethodsOnly'> & GroupPart, a = 'a'): string {
  return `(CASE WHEN ${secureOnlySql(p, a)} THEN ${a}.secure_active_device_count ELSE ${a}.active_device_count END)`;
}

export function enforcementStateSql(p: PolicyExprs, a = 'a', now = 'now()'): string {
  return `(CASE
    WHEN NOT ${requiredSql(p, a)} THEN 'not_required'
    WHEN ${countedDevicesSql(p, a)} > 0 THEN 'compliant'
    WHEN ${a}.exempt_until > ${now} THEN 'exempt'
    WHEN ${effectiveDeadlineSql(p, a)} <= ${now} THEN 'non_compliant'
    ELSE 'pending' END)`;
}

/**
 * When a member becomes non_compliant if nothing changes: GREATEST(deadline, exempt_until, now)
 * for a member MFA is required of (by any of its policies) and that has no counted device; NULL
 * otherwise, the effective deadline. Twin of effectiveBlockedFrom (effective-enforcement.ts) and,
 * with no group part, of blockedFrom (compute-enforcement.ts). GREATEST ignores a NULL exempt_until.
 */
export function blockedFromSql(p: PolicyExprs, a = 'a', now = 'now()'): string {
  return `(CASE WHEN ${requiredSql(p, a)} AND (${countedDevicesSql(p, a)} > 0) IS NOT TRUE
    THEN GREATEST(${effectiveDeadlineSql(p, a)}, ${a}.exempt_until, ${now}) END)`;
}

/**
 * The rule bound to the joined policy at a time given as a bound parameter (the injected clock,
 * never now()): what the compliance jobs and report read.
 */
export function stateAt(nowParam: string): string {
  return enforcementStateSql(JOINED_POLICY, 'a', `${nowParam}::timestamptz`);
}

/** The effective deadline while MFA is required; NULL otherwise (as effectiveEnforcement answers). */
export const DEADLINE = effectiveDeadlineSql(JOINED_POLICY);

/** The member's groups whose policy is part of its effective policy (joined policy). */
export const POLICY_GROUPS = policyGroupsSql(JOINED_POLICY);

/** Rows whose stored columns were written for the org's current version (the rest are the reconciler's); no row: version 0. */
export const AT_CURRENT_VERSION = 'a.policy_version = COALESCE(p.version, 0)';
