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
}

/** `org_policies` joined as `p` (LEFT JOIN: an org with no row has MFA off). */
export const JOINED_POLICY: PolicyExprs = { requireMfa: 'p.require_mfa', requiredSince: 'p.required_since', gracePeriodHours: 'p.grace_period_hours' };

/** GREATEST ignores NULLs: a missing anchor or requiredSince falls out of the max. */
export function graceDeadlineSql(p: PolicyExprs, a = 'a'): string {
  return `(GREATEST(${p.requiredSince}, ${a}.created_at, ${a}.grace_anchor_at) + make_interval(hours => ${p.gracePeriodHours}))`;
}

export function enforcementStateSql(p: PolicyExprs, a = 'a', now = 'now()'): string {
  return `(CASE
    WHEN ${p.requireMfa} IS NOT TRUE THEN 'not_required'
    WHEN ${a}.active_device_count > 0 THEN 'compliant'
    WHEN ${a}.exempt_until > ${now} THEN 'exempt'
    WHEN ${graceDeadlineSql(p, a)} <= ${now} THEN 'non_compliant'
    ELSE 'pending' END)`;
}
