import { enforcementStateSql, graceDeadlineSql, JOINED_POLICY } from '../enforcement/enforcement.sql';

/**
 * The compliance jobs and report read the ONE enforcement rule (enforcement/enforcement.sql.ts,
 * twin of computeEnforcement): these are that rule bound to `accounts a` LEFT JOIN
 * `org_policies p` at a time given as a bound parameter (the injected clock, never now()).
 */
export const POLICY_JOIN = 'accounts.accounts a LEFT JOIN accounts.org_policies p ON p.org_id = a.org_id';

export function stateAt(nowParam: string): string {
  return enforcementStateSql(JOINED_POLICY, 'a', `${nowParam}::timestamptz`);
}

/** The deadline while MFA is required; NULL otherwise (as computeEnforcement answers). */
export const DEADLINE = `(CASE WHEN p.require_mfa THEN ${graceDeadlineSql(JOINED_POLICY)} END)`;

/** Rows whose stored columns were written for the org's current version (the rest are the reconciler's). */
export const AT_CURRENT_VERSION = 'a.policy_version = COALESCE(p.version, 0)';
