import type { Enforcement, EnforcementState, Member } from '@mfa/contracts';
import { EnforcementStates } from '@mfa/contracts';
import type { AccountEntity } from '../database/entities/account.entity';

/** The enforcement of a member whose org does not require MFA (every org before its first policy). */
export function notRequired(): Enforcement {
  return { state: 'not_required', policyVersion: 0, requiredSince: null, graceDeadline: null, exemptUntil: null };
}

/**
 * THE member -> wire mapping: every reply carrying a member goes through here. The
 * enforcement is computed by the caller from the org's current policy (enforcement/); until
 * an org has a policy it is `not_required`.
 */
export function toMember(row: AccountEntity, enforcement: Enforcement = notRequired()): Member {
  return {
    id: row.id,
    orgId: row.orgId,
    email: row.email,
    displayName: row.displayName ?? null,
    externalId: row.externalId ?? null,
    createdAt: new Date(row.createdAt).toISOString(),
    enforcement,
  };
}

/** `{not_required: 0, pending: 0, ...}`: every state present, so callers never see a missing key. */
export function zeroByState(): Record<EnforcementState, number> {
  return Object.fromEntries(EnforcementStates.map((s) => [s, 0])) as Record<EnforcementState, number>;
}
