import type { MfaCondition } from './conditions';
import {
  type ApiKeyRole,
  type AuditAction,
  type AuditActorType,
  type DeviceStatus,
  type EnforcementState,
  type MfaMethod,
  type RolloutStatus,
} from './enums';

/** Shapes that cross a service boundary (HTTP answers and bus replies). Times are ISO-8601 UTC. */

export interface Enforcement {
  state: EnforcementState;
  policyVersion: number;
  requiredSince: string | null;
  graceDeadline: string | null;
  exemptUntil: string | null;
  /** Not in the contract's minimum; added: why the account is exempt. */
  exemptReason?: string | null;
  /**
   * Added with groups (docs/enforcement.md, "Groups"): the member's effective policy (the
   * strictest of the org's and of its groups' policies) and the groups whose policy is part of it.
   */
  effectivePolicy?: EffectivePolicy;
  groups?: string[];
}

/** What the org's and the member's group policies add up to (the deadline is `graceDeadline`). */
export interface EffectivePolicy {
  requireMfa: boolean;
  allowedMethods: MfaMethod[];
  maxMfaAgeSeconds: number | null;
  secureMethodsOnly: boolean;
}

/** A group of members (accounts.groups); `policy` is null until the group's first policy PUT. */
export interface Group {
  id: string;
  orgId: string;
  name: string;
  memberCount: number;
  policy: MfaPolicy | null;
  createdAt: string;
}

/** An org has at most this many groups; a membership PUT changes at most MAX_GROUP_MEMBER_CHANGES ids. */
export const MAX_GROUPS_PER_ORG = 1_000;
export const MAX_GROUP_MEMBER_CHANGES = 10_000;

export interface Member {
  id: string;
  orgId: string;
  email: string;
  displayName: string | null;
  externalId: string | null;
  createdAt: string;
  enforcement: Enforcement;
}

export interface Device {
  serialNumber: string;
  type: MfaMethod;
  name: string;
  status: DeviceStatus;
  createdAt: string;
  enabledAt: string | null;
  lastUsedAt: string | null;
  /** WebAuthn only: the authenticator model's AAGUID (all zeros when it does not say) */
  aaguid?: string;
  /** WebAuthn only: the model's name when the AAGUID is one the service knows, else null */
  authenticatorName?: string | null;
  /** WebAuthn only: the credential is synced (a passkey backed up to a cloud account) */
  backedUp?: boolean;
}

export interface MfaPolicy {
  orgId: string;
  version: number;
  requireMfa: boolean;
  gracePeriodHours: number;
  allowedMethods: MfaMethod[];
  maxMfaAgeSeconds: number | null;
  /**
   * SMS neither counts toward compliance nor may be enrolled. Optional on the wire: a policy
   * handed over before this field existed (a job still queued, an older instance) means false.
   */
  secureMethodsOnly?: boolean;
  /**
   * Per-action conditions (docs/enforcement.md "Per-action conditions"). Optional on the wire
   * like secureMethodsOnly: a hand-over from before the field existed means none.
   */
  conditions?: MfaCondition[];
  updatedAt: string | null;
  /** Added with groups: set on a group's policy (its versions count per group), absent on the org's. */
  groupId?: string;
}

/** The policy of an org before any PUT (docs/admin-api.md, "Shapes"). */
/**
 * The methods an org's policy names before its first PUT: the first contract's TOTP and SMS
 * (docs/admin-api.md). Passkeys are opted into with a PUT; mfa-service, which holds no policy
 * for such an org, refuses no method (docs/mfa.md).
 */
export const DEFAULT_ALLOWED_METHODS: readonly MfaMethod[] = ['totp', 'sms'];

export function defaultPolicy(orgId: string): MfaPolicy {
  return {
    orgId,
    version: 0,
    requireMfa: false,
    gracePeriodHours: 0,
    allowedMethods: [...DEFAULT_ALLOWED_METHODS],
    maxMfaAgeSeconds: null,
    secureMethodsOnly: false,
    conditions: [],
    updatedAt: null,
  };
}

export interface PolicyRollout {
  id: string;
  orgId: string;
  policyVersion: number;
  status: RolloutStatus;
  total: number;
  applied: number;
  createdAt: string;
  completedAt: string | null;
  /** added with groups: the rollout of a group's policy */
  groupId?: string;
}

export interface AuditEvent {
  id: string;
  at: string;
  actor: { type: AuditActorType; id: string | null };
  action: AuditAction;
  target: { type: string; id: string | null };
  details: Record<string, unknown>;
}

export interface ApiKeyCreated {
  id: string;
  key: string;
  role: ApiKeyRole;
  label?: string | null;
}

/**
 * Field names that carry secrets (keys, seeds, codes, tokens, hashes) or a member's phone number.
 * Their values never reach a log line (pino redaction) or an audit event's details (scrubbed
 * at any depth), whoever passes them by mistake.
 */
export const SECRET_FIELD_NAMES = [
  'key',
  'apiKey',
  'keyHash',
  'hash',
  'secret',
  'secretBase32',
  'seed',
  'otpauthUri',
  'qrCodePng',
  'code',
  'code1',
  'code2',
  'codes',
  'recoveryCode',
  'recoveryCodes',
  'token',
  'sessionToken',
  'password',
  'phoneNumber',
] as const;
