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
}

/** `org_policies` joined as `p` (LEFT JOIN: an org with no row has MFA off). */
export const JOINED_POLICY: PolicyExprs = {
  requireMfa: 'p.require_mfa',
  requiredSince: 'p.required_since',
  gracePeriodHours: 'p.grace_period_hours',
  secureMethodsOnly: 'p.secure_methods_only',
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
export function graceDeadlineSql(p: PolicyExprs, a = 'a'): string {
  return `(GREATEST(${p.requiredSince}, ${a}.created_at, ${a}.grace_anchor_at) + make_interval(hours => ${p.gracePeriodHours}))`;
}

/** countedDevices: under secureMethodsOnly only the secure active devices count (no row: false). */
export function countedDevicesSql(p: Pick<PolicyExprs, 'secureMethodsOnly'>, a = 'a'): string {
  return `(CASE WHEN ${p.secureMethodsOnly} IS TRUE THEN ${a}.secure_active_device_count ELSE ${a}.active_device_count END)`;
}

export function enforcementStateSql(p: PolicyExprs, a = 'a', now = 'now()'): string {
  return `(CASE
    WHEN ${p.requireMfa} IS NOT TRUE THEN 'not_required'
    WHEN ${countedDevicesSql(p, a)} > 0 THEN 'compliant'
    WHEN ${a}.exempt_until > ${now} THEN 'exempt'
    WHEN ${graceDeadlineSql(p, a)} <= ${now} THEN 'non_compliant'
    ELSE 'pending' END)`;
}

/**
 * When a member becomes non_compliant if nothing changes: GREATEST(deadline, exempt_until, now)
 * for a member MFA is required of and that has no counted device; NULL otherwise. Twin of
 * blockedFrom (compute-enforcement.ts). GREATEST ignores a NULL exempt_until.
 */
export function blockedFromSql(p: PolicyExprs, a = 'a', now = 'now()'): string {
  return `(CASE WHEN ${p.requireMfa} IS TRUE AND (${countedDevicesSql(p, a)} > 0) IS NOT TRUE
    THEN GREATEST(${graceDeadlineSql(p, a)}, ${a}.exempt_until, ${now}) END)`;
}

/**
 * The rule bound to the joined policy at a time given as a bound parameter (the injected clock,
 * never now()): what the compliance jobs and report read.
 */
export function stateAt(nowParam: string): string {
  return enforcementStateSql(JOINED_POLICY, 'a', `${nowParam}::timestamptz`);
}

/** The deadline while MFA is required; NULL otherwise (as computeEnforcement answers). */
export const DEADLINE = `(CASE WHEN p.require_mfa THEN ${graceDeadlineSql(JOINED_POLICY)} END)`;

/** Rows whose stored columns were written for the org's current version (the rest are the reconciler's); no row: version 0. */
export const AT_CURRENT_VERSION = 'a.policy_version = COALESCE(p.version, 0)';
