export const EnforcementStates = ['not_required', 'pending', 'compliant', 'non_compliant', 'exempt'] as const;
export type EnforcementState = (typeof EnforcementStates)[number];

/**
 * The device methods: the one list every other list derives from (DTO and policy `@IsIn`s,
 * enforcement defaults, the session token's method claim, mfa-service's method registry).
 * A new method adds its name here, its folder under apps/mfa-service/src/methods/ and a
 * migration widening the `mfa.devices.type` check (docs/mfa.md, "Adding a device method").
 */
export const MfaMethods = ['totp', 'sms', 'webauthn'] as const;
export type MfaMethod = (typeof MfaMethods)[number];
/**
 * Methods that still count toward compliance and may be enrolled under `secureMethodsOnly`
 * (GitHub's "secure methods": everything but SMS, which a SIM swap defeats).
 */
export const SecureMfaMethods: readonly MfaMethod[] = ['totp', 'webauthn'];
/** The same list under the name the issue uses. */
export const MFA_METHODS = MfaMethods;

/** What a successful verification can name: a device method, or a recovery code (no device). */
export const VerificationMethods = [...MfaMethods, 'recovery_code'] as const;
export type VerificationMethod = (typeof VerificationMethods)[number];

export const DeviceStatuses = ['pending', 'active', 'deactivated'] as const;
export type DeviceStatus = (typeof DeviceStatuses)[number];

export const ApiKeyRoles = ['admin', 'auditor'] as const;
export type ApiKeyRole = (typeof ApiKeyRoles)[number];

export const RolloutStatuses = ['queued', 'running', 'completed', 'failed'] as const;
export type RolloutStatus = (typeof RolloutStatuses)[number];

export const AuthorizeReasons = ['ok', 'mfa_required', 'mfa_too_old', 'enrollment_required', 'unknown_account'] as const;
export type AuthorizeReason = (typeof AuthorizeReasons)[number];

/**
 * `cloned_authenticator`: a WebAuthn assertion whose signature is right but whose sign counter did
 * not grow past the stored one (a copied authenticator; refused, counted as a failure, audited).
 */
export const VerifyFailureReasons = [
  'invalid_code',
  'locked_out',
  'no_active_device',
  'method_not_allowed',
  'cloned_authenticator',
] as const;
export type VerifyFailureReason = (typeof VerifyFailureReasons)[number];

export const AuditActions = [
  'org.created',
  'api_key.created',
  'api_key.revoked',
  'service_key.created',
  'service_key.revoked',
  'member.added',
  'members.bulk_added',
  'member.removed',
  'policy.updated',
  'group.created',
  'group.members_changed',
  'group.deleted',
  'group.policy_updated',
  'exemption.set',
  'exemption.removed',
  'device.enabled',
  'device.deactivated',
  'device.reset',
  /** a WebAuthn assertion whose sign counter went backwards (target: the device's serial number) */
  'device.clone_detected',
  'verification.locked_out',
  'recovery_code.used',
  'session.issued',
  'session.revoked',
] as const;
export type AuditAction = (typeof AuditActions)[number];

/** Why session tokens were revoked (audit `session.revoked` details.cause, accounts.internal.sessions.revoke). */
export const SessionRevocationReasons = ['device_deactivated', 'device_reset', 'member_removed', 'locked_out', 'revoked'] as const;
export type SessionRevocationReason = (typeof SessionRevocationReasons)[number];

export const AuditActorTypes = ['platform', 'api_key', 'account', 'system'] as const;
export type AuditActorType = (typeof AuditActorTypes)[number];
