import { defaultPolicy, type Enforcement, type EnforcementState, type MfaCondition, type MfaMethod, type MfaPolicy } from '@mfa/contracts';

/**
 * THE enforcement rule (docs/enforcement.md, "The rule"), in TypeScript. Its SQL twin is
 * `enforcementStateSql` in enforcement.sql.ts; enforcement-rule.spec.ts checks both agree.
 * State is computed from the org's CURRENT policy at each request: a stored snapshot may lag,
 * it never makes a state true.
 */

/** The org's current policy as account-service keeps it (org_policies), with requiredSince. */
export interface OrgPolicyState {
  orgId: string;
  version: number;
  requireMfa: boolean;
  gracePeriodHours: number;
  allowedMethods: MfaMethod[];
  maxMfaAgeSeconds: number | null;
  /** SMS devices do not count toward compliance */
  secureMethodsOnly: boolean;
  /** per-action conditions (accounts.authorize with an action); the state rule does not read them */
  conditions: MfaCondition[];
  /** when MFA became required; kept while it stays required, null when off */
  requiredSince: Date | null;
  updatedAt: Date | null;
  /** added with groups: some group of the org has a policy (the effective-policy SQL skips groups otherwise) */
  hasGroupPolicies?: boolean;
}

/** What of an account row the rule reads. */
export interface AccountEnforcementFacts {
  createdAt: Date;
  activeDeviceCount: number;
  /** active devices that are not SMS (SecureMfaMethods): the ones that count under secureMethodsOnly */
  secureActiveDeviceCount: number;
  /** set by an admin reset of the last active device: the deadline restarts from it */
  graceAnchorAt: Date | null;
  exemptUntil: Date | null;
  exemptReason: string | null;
}

/** What a brand-new member row holds: no device, exemption or reset yet. */
export function newMemberFacts(createdAt: Date): AccountEnforcementFacts {
  return { createdAt, activeDeviceCount: 0, secureActiveDeviceCount: 0, graceAnchorAt: null, exemptUntil: null, exemptReason: null };
}

const HOUR_MS = 3_600_000;

/** max(requiredSince, createdAt, graceAnchorAt) + grace; null while MFA is not required. */
export function graceDeadline(policy: OrgPolicyState, account: AccountEnforcementFacts): Date | null {
  if (!policy.requireMfa) return null;
  const start = Math.max(policy.requiredSince?.getTime() ?? 0, account.createdAt.getTime(), account.graceAnchorAt?.getTime() ?? 0);
  return new Date(start + policy.gracePeriodHours * HOUR_MS);
}

/** The active devices that make a member compliant: all of them, or only the secure ones. */
export function countedDevices(policy: Pick<OrgPolicyState, 'secureMethodsOnly'>, account: AccountEnforcementFacts): number {
  return policy.secureMethodsOnly ? account.secureActiveDeviceCount : account.activeDeviceCount;
}

/** Precedence: not_required · compliant · exempt · non_compliant · pending. */
export function enforcementState(policy: OrgPolicyState, account: AccountEnforcementFacts, now: Date): EnforcementState {
  if (!policy.requireMfa) return 'not_required';
  if (countedDevices(policy, account) > 0) return 'compliant';
  if (account.exemptUntil && account.exemptUntil.getTime() > now.getTime()) return 'exempt';
  const deadline = graceDeadline(policy, account)!;
  return deadline.getTime() <= now.getTime() ? 'non_compliant' : 'pending';
}

/**
 * When a member becomes non_compliant if nothing changes (no device, no exemption change): its
 * deadline, the end of its exemption when later, `now` when it already is; null for a member
 * that is never blocked (MFA not required, or a counted device). Twin: blockedFromSql.
 */
export function blockedFrom(policy: OrgPolicyState, account: AccountEnforcementFacts, now: Date): Date | null {
  if (!policy.requireMfa || countedDevices(policy, account) > 0) return null;
  return new Date(Math.max(graceDeadline(policy, account)!.getTime(), account.exemptUntil?.getTime() ?? 0, now.getTime()));
}

/** The fields of a policy body the rule reads. */
export interface PolicyBody {
  requireMfa: boolean;
  gracePeriodHours: number;
  secureMethodsOnly?: boolean;
}

/**
 * The org's policy as it would be if `body` were PUT at `now`: what applyIfNewer stores
 * (requiredSince kept while MFA stays required, `now` when it turns on, null when off).
 */
export function proposedPolicy(current: OrgPolicyState, body: PolicyBody, now: Date): OrgPolicyState {
  return {
    ...current,
    version: current.version + 1,
    requireMfa: body.requireMfa,
    gracePeriodHours: body.gracePeriodHours,
    secureMethodsOnly: body.secureMethodsOnly ?? false,
    requiredSince: !body.requireMfa ? null : current.requireMfa ? (current.requiredSince ?? now) : now,
    updatedAt: now,
  };
}

export function computeEnforcement(policy: OrgPolicyState, account: AccountEnforcementFacts, now: Date): Enforcement {
  const deadline = graceDeadline(policy, account);
  // an expired exemption is history, not part of the current answer
  const exemptInForce = account.exemptUntil && account.exemptUntil.getTime() > now.getTime();
  return {
    state: enforcementState(policy, account, now),
    policyVersion: policy.version,
    requiredSince: policy.requireMfa && policy.requiredSince ? policy.requiredSince.toISOString() : null,
    graceDeadline: deadline ? deadline.toISOString() : null,
    exemptUntil: exemptInForce ? account.exemptUntil!.toISOString() : null,
    // an added field: present only while an exemption is in force
    ...(exemptInForce ? { exemptReason: account.exemptReason } : {}),
  };
}

/** An org that never received a policy: the contract's default (version 0, MFA off), never required. */
export function defaultOrgPolicy(orgId: string): OrgPolicyState {
  return { ...defaultPolicy(orgId), secureMethodsOnly: false, conditions: [], requiredSince: null, updatedAt: null };
}

/** The wire shape (MfaPolicy) of what account-service holds. */
export function toWirePolicy(policy: OrgPolicyState): MfaPolicy {
  return {
    orgId: policy.orgId,
    version: policy.version,
    requireMfa: policy.requireMfa,
    gracePeriodHours: policy.gracePeriodHours,
    allowedMethods: policy.allowedMethods,
    maxMfaAgeSeconds: policy.maxMfaAgeSeconds,
    secureMethodsOnly: policy.secureMethodsOnly,
    conditions: policy.conditions,
    updatedAt: policy.updatedAt ? policy.updatedAt.toISOString() : null,
  };
}
