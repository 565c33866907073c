import type { OrgPolicyState } from '../enforcement/compute-enforcement';
import {
  blockedFromSql,
  enforcementStateSql,
  groupAggregateByAccountSql,
  groupAggregateSql,
  type PolicyExprs,
} from '../enforcement/enforcement.sql';

/**
 * Who a preview counts and under which two policies, as SQL over `accounts.accounts a`:
 * `before` is each member's effective policy now, `after` the one it would have if the proposal
 * were PUT now. Both are the rule's SQL twin (enforcement.sql.ts) over these expressions, so the
 * preview judges exactly as the members list and the compliance report will.
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
  /** the sample's members need their group policies (some group policy may apply to them) */
  groupPolicies: boolean;
}

function bindPolicy(
  params: unknown[],
  policy: Pick<OrgPolicyState, 'requireMfa' | 'requiredSince' | 'gracePeriodHours' | 'secureMethodsOnly'>,
) {
  params.push(policy.requireMfa, policy.requiredSince, policy.gracePeriodHours, policy.secureMethodsOnly);
  const n = params.length;
  return {
    requireMfa: `$${n - 3}::boolean`,
    requiredSince: `$${n - 2}::timestamptz`,
    gracePeriodHours: `$${n - 1}::int`,
    secureMethodsOnly: `$${n}::boolean`,
  };
}

/** The group part is read only for an org that has group policies: the statement of before groups otherwise. */
const groupPart = (current: OrgPolicyState): Pick<PolicyExprs, 'hasGroupPolicies'> =>
  current.hasGroupPolicies ? { hasGroupPolicies: 'true' } : {};

/**
 * Every member of the org: now under the org's `current` policy, after under `proposed`, each
 * combined with the policies of the member's groups (unchanged by an org PUT).
 */
export function orgScope(orgId: string, current: OrgPolicyState, proposed: OrgPolicyState, now: Date): PreviewScope {
  const params: unknown[] = [orgId, now];
  // the member's groups are the same on both sides: folded once for the whole org (`g`, one hashed
  // GROUP BY over its memberships, hash-joined to its accounts), read by both
  const groups = current.hasGroupPolicies ? { ...groupPart(current), groupAgg: 'g' } : {};
  const before = { ...bindPolicy(params, current), ...groups };
  const after = { ...bindPolicy(params, proposed), ...groups };
  return {
    from: current.hasGroupPolicies
      ? `accounts.accounts a LEFT JOIN ${groupAggregateByAccountSql('$1::uuid')} g ON g.account_id = a.id`
      : 'accounts.accounts a',
    where: 'a.org_id = $1::uuid',
    params,
    before,
    after,
    now: '$2::timestamptz',
    groupPolicies: !!current.hasGroupPolicies,
  };
}

/**
 * The members of one group: now under their effective policy, after with `proposed` in place of
 * the group's policy (their org's and other groups' policies still apply). Each side's group
 * policies are folded once per row (`gb`, `ga`).
 */
export function groupScope(
  orgId: string,
  groupId: string,
  org: OrgPolicyState,
  proposed: Pick<OrgPolicyState, 'requireMfa' | 'requiredSince' | 'gracePeriodHours' | 'secureMethodsOnly'>,
  now: Date,
): PreviewScope {
  const params: unknown[] = [orgId, now, groupId];
  const orgExprs = bindPolicy(params, org);
  const before: PolicyExprs = { ...orgExprs, ...(org.hasGroupPolicies ? { ...groupPart(org), groupAgg: 'gb' } : {}) };
  const after: PolicyExprs = {
    ...orgExprs,
    hasGroupPolicies: 'true',
    groupSwap: { groupId: '$3::uuid', ...bindPolicy(params, proposed) },
    groupAgg: 'ga',
  };
  const from = [
    'accounts.group_members gm JOIN accounts.accounts a ON a.org_id = gm.org_id AND a.id = gm.account_id',
    ...(org.hasGroupPolicies ? [`LEFT JOIN LATERAL ${groupAggregateSql({}, 'a')} gb ON true`] : []),
    `LEFT JOIN LATERAL ${groupAggregateSql(after, 'a')} ga ON true`,
  ].join(' ');
  return {
    from,
    where: 'gm.group_id = $3::uuid AND gm.org_id = $1::uuid',
    params,
    before,
    after,
    now: '$2::timestamptz',
    groupPolicies: true,
  };
}

export const stateNowSql = (s: PreviewScope) => enforcementStateSql(s.before, 'a', s.now);
export const stateAfterSql = (s: PreviewScope) => enforcementStateSql(s.after, 'a', s.now);
export const blockedAfterSql = (s: PreviewScope) => blockedFromSql(s.after, 'a', s.now);
