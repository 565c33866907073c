import type { OrgPolicyState } from '../enforcement/compute-enforcement';
import {
  blockedFromSql,
  enforcementStateSql,
  groupAggregateByAccountSql,
  groupAggregatesBySwapSql,
  groupAggregateSql,
  type PolicyExprs,
} from '../enforcement/enforcement.sql';

/**
 * Who a preview counts and under which two policies, as SQL over `accounts.accounts a`:
 * `before` is each member's effective policy now, `after` the one it would have if the proposal
 * were PUT now. Both are the rule's SQL twin (enforcement.sql.ts) over these expressions, so the
 * preview judges exactly as the members list and the compliance report will.
 */
export interface PreviewScope extends PreviewJoin {
  params: unknown[];
  /**
   * The same members and policies with the group part folded per row (LEFT JOIN LATERAL): no
   * aggregate built over all memberships first, for a statement that reads a few rows only.
   */
  perRow: PreviewJoin;
  /** the evaluation instant, as a bound parameter */
  now: string;
  /** the sample's members need their group policies (some group policy may apply to them) */
  groupPolicies: boolean;
}

export interface PreviewJoin {
  /** `accounts.accounts a` and whatever the scope joins */
  from: string;
  where: string;
  before: PolicyExprs;
  after: PolicyExprs;
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
  // GROUP BY over its memberships only, hash-joined to its accounts), read by both
  const groups = current.hasGroupPolicies ? { ...groupPart(current), groupAgg: 'g', groupAggByAccount: true } : {};
  const before = { ...bindPolicy(params, current), ...groups };
  const after = { ...bindPolicy(params, proposed), ...groups };
  const perRow = current.hasGroupPolicies ? { groupAgg: 'g', groupAggByAccount: false } : {};
  return {
    from: current.hasGroupPolicies
      ? `accounts.accounts a LEFT JOIN ${groupAggregateByAccountSql('$1::uuid')} g ON g.account_id = a.id`
      : 'accounts.accounts a',
    where: 'a.org_id = $1::uuid',
    params,
    before,
    after,
    perRow: {
      from: current.hasGroupPolicies
        ? `accounts.accounts a LEFT JOIN LATERAL ${groupAggregateSql({}, 'a')} g ON true`
        : 'accounts.accounts a',
      where: 'a.org_id = $1::uuid',
      before: { ...before, ...perRow },
      after: { ...after, ...perRow },
    },
    now: '$2::timestamptz',
    groupPolicies: !!current.hasGroupPolicies,
  };
}

/**
 * The members of one group: now under their effective policy, after with `proposed` in place of
 * the group's policy (their org's and other groups' policies still apply). Both sides' group
 * policies are folded in one hashed GROUP BY over the group members' memberships (`x`, read as
 * `gb` and `ga`), joined to their accounts: no per-row probe of group_members, and one derived
 * table only (two would let a row estimate of 3, on a group_members never analyzed, nest one
 * aggregate's loop inside the other's: minutes at 100,000).
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
  const groupSwap = { groupId: '$3::uuid', ...bindPolicy(params, proposed) };
  const beforeGroups = org.hasGroupPolicies ? groupPart(org) : {};
  const before: PolicyExprs = {
    ...orgExprs,
    ...beforeGroups,
    ...(org.hasGroupPolicies ? { groupAgg: 'gb', groupAggByAccount: true } : {}),
  };
  const after: PolicyExprs = { ...orgExprs, hasGroupPolicies: 'true', groupSwap, groupAgg: 'ga', groupAggByAccount: true };
  const x = groupAggregatesBySwapSql('$1::uuid', groupSwap);
  const project = (side: 'b' | 'a') =>
    `CROSS JOIN LATERAL (SELECT x.${side}_requires AS requires, x.${side}_secure AS secure, x.${side}_hours AS hours, x.${side}_since AS since) g${side}`;
  const perRowBefore: PolicyExprs = { ...orgExprs, ...beforeGroups, ...(org.hasGroupPolicies ? { groupAgg: 'gb' } : {}) };
  const perRowAfter: PolicyExprs = { ...orgExprs, hasGroupPolicies: 'true', groupSwap, groupAgg: 'ga' };
  return {
    from: `${x} x JOIN accounts.accounts a ON a.org_id = $1::uuid AND a.id = x.account_id ${project('b')} ${project('a')}`,
    where: 'true',
    params,
    before,
    after,
    perRow: {
      from: [
        'accounts.group_members gm JOIN accounts.accounts a ON a.org_id = gm.org_id AND a.id = gm.account_id',
        ...(org.hasGroupPolicies ? [`LEFT JOIN LATERAL ${groupAggregateSql({}, 'a')} gb ON true`] : []),
        `LEFT JOIN LATERAL ${groupAggregateSql(perRowAfter, 'a')} ga ON true`,
      ].join(' '),
      where: 'gm.group_id = $3::uuid AND gm.org_id = $1::uuid',
      before: perRowBefore,
      after: perRowAfter,
    },
    now: '$2::timestamptz',
    groupPolicies: true,
  };
}

type Side = PreviewJoin & Pick<PreviewScope, 'now'>;
export const stateNowSql = (s: Side) => enforcementStateSql(s.before, 'a', s.now);
export const stateAfterSql = (s: Side) => enforcementStateSql(s.after, 'a', s.now);
export const blockedAfterSql = (s: Side) => blockedFromSql(s.after, 'a', s.now);
