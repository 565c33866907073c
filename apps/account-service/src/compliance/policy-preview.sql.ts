import type { OrgPolicyState } from '../enforcement/compute-enforcement';
import { blockedFromSql, enforcementStateSql, type PolicyExprs } from '../enforcement/enforcement.sql';

/**
 * Who a preview counts and under which two policies, as SQL over `accounts.accounts a`:
 * `before` is each member's policy now, `after` the one it would have if the proposal were
 * PUT now. Both are the rule's SQL twin (enforcement.sql.ts) over these expressions, so the
 * preview judges exactly as the members list and the compliance report will.
 *
 * The org scope binds both policies as parameters. A group scope (groups branch) is another
 * function returning the same shape: `where` limited to the group's members (a join on
 * accounts.group_members in `from`), `before` the effective policy SQL of each member, and
 * `after` the same SQL with the proposal in place of that group's policy.
 */
export interface PreviewScope {
  /** `accounts.accounts a` and whatever the scope joins */
  from: string;
  where: string;
  params: unknown[];
  before: PolicyExprs;
  after: PolicyExprs;
  /** the evaluation instant, as a bound parameter */
  now: string;
}

function bindPolicy(params: unknown[], policy: OrgPolicyState): PolicyExprs {
  params.push(policy.requireMfa, policy.requiredSince, policy.gracePeriodHours, policy.secureMethodsOnly);
  const n = params.length;
  return {
    requireMfa: `$${n - 3}::boolean`,
    requiredSince: `$${n - 2}::timestamptz`,
    gracePeriodHours: `$${n - 1}::int`,
    secureMethodsOnly: `$${n}::boolean`,
  };
}

/** Every member of the org, now under `current`, after under `proposed`. */
export function orgScope(orgId: string, current: OrgPolicyState, proposed: OrgPolicyState, now: Date): PreviewScope {
  const params: unknown[] = [orgId, now];
  const before = bindPolicy(params, current);
  const after = bindPolicy(params, proposed);
  return { from: 'accounts.accounts a', where: 'a.org_id = $1::uuid', params, before, after, now: '$2::timestamptz' };
}

export const stateNowSql = (s: PreviewScope) => enforcementStateSql(s.before, 'a', s.now);
export const stateAfterSql = (s: PreviewScope) => enforcementStateSql(s.after, 'a', s.now);
export const blockedAfterSql = (s: PreviewScope) => blockedFromSql(s.after, 'a', s.now);
