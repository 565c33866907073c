import type { EffectivePolicy, Enforcement, EnforcementState, MfaMethod } from '@mfa/contracts';
import { type AccountEnforcementFacts, graceDeadline, type OrgPolicyState } from './compute-enforcement';

/**
 * THE effective policy of a member (docs/enforcement.md, "Groups"): the strictest of its org's
 * policy and of the policies of every group it belongs to. Its SQL twin is the group part of
 * enforcement.sql.ts (requiredSql, secureOnlySql, effectiveDeadlineSql, ...); effective-rule.spec.ts
 * runs generated cases through both on a real Postgres. With no group policy it is exactly
 * computeEnforcement (the same spec checks that too).
 *
 * - required if any policy requires;
 * - the earliest deadline: each requiring policy gives max(its requiredSince, createdAt,
 *   graceAnchorAt) + its grace; the min of those;
 * - allowedMethods intersected (an admin PUT that would make it empty is refused up front);
 * - the lowest maxMfaAgeSeconds; secureMethodsOnly if any.
 * Conditions (wt-cond) are to be united here when both branches meet.
 */

/** A group's current policy as account-service keeps it (accounts.group_policies). */
export type GroupPolicyState = OrgPolicyState & { groupId: string };

export interface EffectiveRequirement extends EffectivePolicy {
  requiredSince: Date | null;
  deadline: Date | null;
  /** the member's groups that have a policy, sorted: every one of them is part of the effective policy */
  groups: string[];
}

export function effectiveRequirement(
  org: OrgPolicyState,
  groups: readonly GroupPolicyState[],
  account: AccountEnforcementFacts,
): EffectiveRequirement {
  const all: OrgPolicyState[] = [org, ...groups];
  const requiring = all.filter((p) => p.requireMfa);
  const min = (dates: Array<Date | null>): Date | null =>
    dates.reduce<Date | null>((m, d) => (d && (!m || d.getTime() < m.getTime()) ? d : m), null);
  const ages = all.map((p) => p.maxMfaAgeSeconds).filter((n): n is number => n !== null);
  let methods: MfaMethod[] = [...org.allowedMethods];
  for (const g of groups) methods = methods.filter((m) => g.allowedMethods.includes(m));
  return {
    requireMfa: requiring.length > 0,
    requiredSince: min(requiring.map((p) => p.requiredSince)),
    deadline: min(requiring.map((p) => graceDeadline(p, account))),
    allowedMethods: methods,
    maxMfaAgeSeconds: ages.length > 0 ? Math.min(...ages) : null,
    secureMethodsOnly: all.some((p) => p.secureMethodsOnly),
    groups: groups.map((g) => g.groupId).sort(),
  };
}

/** Precedence, as enforcementState: not_required · compliant · exempt · non_compliant · pending. */
export function effectiveState(r: EffectiveRequirement, account: AccountEnforcementFacts, now: Date): EnforcementState {
  if (!r.requireMfa) return 'not_required';
  const counted = r.secureMethodsOnly ? account.secureActiveDeviceCount : account.activeDeviceCount;
  if (counted > 0) return 'compliant';
  if (account.exemptUntil && account.exemptUntil.getTime() > now.getTime()) return 'exempt';
  return r.deadline!.getTime() <= now.getTime() ? 'non_compliant' : 'pending';
}

/**
 * When the member becomes non_compliant if nothing changes, under its effective policy: the
 * earliest deadline, the end of its exemption when later, `now` when it already is; null when
 * never (MFA not required by any policy, or a counted device). Twin: blockedFromSql.
 */
export function effectiveBlockedFrom(r: EffectiveRequirement, account: AccountEnforcementFacts, now: Date): Date | null {
  if (!r.requireMfa) return null;
  if ((r.secureMethodsOnly ? account.secureActiveDeviceCount : account.activeDeviceCount) > 0) return null;
  return new Date(Math.max(r.deadline!.getTime(), account.exemptUntil?.getTime() ?? 0, now.getTime()));
}

/**
 * A member's group policies with `proposed` in place of its group's stored one (the preview's
 * "after" of a group policy): the group's stored policy left out, the proposal added when the
 * member is in that group. Twin: `groupSwap` of enforcement.sql.ts.
 */
export function swapGroupPolicy(groups: readonly GroupPolicyState[], proposed: GroupPolicyState, isMember: boolean): GroupPolicyState[] {
  const others = groups.filter((g) => g.groupId !== proposed.groupId);
  return isMember ? [...others, proposed].sort((x, y) => (x.groupId < y.groupId ? -1 : x.groupId > y.groupId ? 1 : 0)) : others;
}

/** The member's enforcement under its effective policy (policyVersion stays the org's). */
export function effectiveEnforcement(
  org: OrgPolicyState,
  groups: readonly GroupPolicyState[],
  account: AccountEnforcementFacts,
  now: Date,
): Enforcement {
  const r = effectiveRequirement(org, groups, account);
  const exemptInForce = account.exemptUntil && account.exemptUntil.getTime() > now.getTime();
  return {
    state: effectiveState(r, account, now),
    policyVersion: org.version,
    requiredSince: r.requiredSince ? r.requiredSince.toISOString() : null,
    graceDeadline: r.deadline ? r.deadline.toISOString() : null,
    exemptUntil: exemptInForce ? account.exemptUntil!.toISOString() : null,
    ...(exemptInForce ? { exemptReason: account.exemptReason } : {}),
    effectivePolicy: {
      requireMfa: r.requireMfa,
      allowedMethods: r.allowedMethods,
      maxMfaAgeSeconds: r.maxMfaAgeSeconds,
      secureMethodsOnly: r.secureMethodsOnly,
    },
    groups: r.groups,
  };
}

/** Empty when some member under both lists of methods could enroll nothing (the PUT's refusal). */
export function intersectMethods(a: readonly MfaMethod[], b: readonly MfaMethod[]): MfaMethod[] {
  return a.filter((m) => b.includes(m));
}
