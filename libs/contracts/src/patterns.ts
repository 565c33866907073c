/**
 * ┌──────────────────────────────────────────────────────────────────────────────────────┐
 * │ WIRE NAMES. Every string in this file is read by other processes: member services in  │
 * │ any language, other instances of older versions, jobs already sitting in Redis.       │
 * │ Renaming one is a breaking change of the external contract. Add, never rename.        │
 * └──────────────────────────────────────────────────────────────────────────────────────┘
 */
import type {
  AuthorizeReason,
  EnforcementState,
  MfaMethod,
  SessionRevocationReason,
  VerificationMethod,
  VerifyFailureReason,
} from './enums';
import type { MfaCondition } from './conditions';
import type { AuditEvent, Device, Enforcement, Group, Member, MfaPolicy } from './models';

/** Patterns member services call (docs/bus-protocol.md, "Member-facing patterns"). */
export const Patterns = {
  MfaDevicesCreate: 'mfa.devices.create',
  MfaDevicesEnable: 'mfa.devices.enable',
  MfaDevicesResync: 'mfa.devices.resync',
  MfaDevicesList: 'mfa.devices.list',
  MfaDevicesDeactivate: 'mfa.devices.deactivate',
  MfaSmsSend: 'mfa.sms.send',
  MfaRecoveryCodesGenerate: 'mfa.recovery-codes.generate',
  MfaVerify: 'mfa.verify',
  MfaChallengesCreate: 'mfa.challenges.create',
  MfaSessionsIssue: 'mfa.sessions.issue',
  MfaSessionsJwks: 'mfa.sessions.jwks',
  MfaSessionsRevoke: 'mfa.sessions.revoke',
  MfaEnrollmentLinksCreate: 'mfa.enrollment.links.create',
  MfaDevicesDiagnose: 'mfa.devices.diagnose',
  AccountsGet: 'accounts.get',
  AccountsAuthorize: 'accounts.authorize',
} as const;

/** Patterns only this platform's own services call (documented in docs/bus-protocol.md). */
export const InternalPatterns = {
  AccountsPing: 'accounts.internal.ping',
  AccountsMembersCreate: 'accounts.internal.members.create',
  AccountsMembersBulkCreate: 'accounts.internal.members.bulk-create',
  AccountsMembersList: 'accounts.internal.members.list',
  AccountsMembersGet: 'accounts.internal.members.get',
  AccountsMembersDelete: 'accounts.internal.members.delete',
  AccountsMembersStats: 'accounts.internal.members.stats',
  /** a member's enforcement history (docs/enforcement.md, "History") */
  AccountsMembersHistory: 'accounts.internal.members.history',
  AccountsPolicyApply: 'accounts.internal.policy.apply',
  AccountsPolicyGet: 'accounts.internal.policy.get',
  AccountsExemptionSet: 'accounts.internal.exemption.set',
  AccountsExemptionRemove: 'accounts.internal.exemption.remove',
  AccountsDeviceReset: 'accounts.internal.device-reset',
  AccountsCompliancePage: 'accounts.internal.compliance.page',
  AccountsComplianceHistory: 'accounts.internal.compliance.history',
  AccountsServiceKeysCreate: 'accounts.internal.service-keys.create',
  AccountsServiceKeysList: 'accounts.internal.service-keys.list',
  AccountsServiceKeysRevoke: 'accounts.internal.service-keys.revoke',
  /** service keys and accounts' orgs, for mfa-service's bus gate */
  AccountsCallersResolve: 'accounts.internal.callers.resolve',
  AccountsSessionsRevoke: 'accounts.internal.sessions.revoke',
  /** what a policy would do to the org's members, changing nothing (docs/enforcement.md, "Policy preview") */
  AccountsPolicyPreview: 'accounts.internal.policy.preview',
  AccountsGroupsCreate: 'accounts.internal.groups.create',
  AccountsGroupsList: 'accounts.internal.groups.list',
  AccountsGroupsGet: 'accounts.internal.groups.get',
  AccountsGroupsMembersUpdate: 'accounts.internal.groups.members.update',
  AccountsGroupsDelete: 'accounts.internal.groups.delete',
  /** the empty-intersection check of allowedMethods, before org-service writes a policy version */
  AccountsPolicyMethodsCheck: 'accounts.internal.policy.methods-check',
  AccountsGroupPolicyApply: 'accounts.internal.groups.policy.apply',
  MfaPing: 'mfa.internal.ping',
  MfaPolicyApply: 'mfa.internal.policy.apply',
  MfaDevicesReset: 'mfa.internal.devices.reset',
  MfaDevicesSummary: 'mfa.internal.devices.summary',
  MfaAccountsRemove: 'mfa.internal.accounts.remove',
  /** the web app redeems a one-time enrollment link (works once) */
  MfaEnrollmentLinksRedeem: 'mfa.internal.enrollment.links.redeem',
} as const;

/** Scopes of a service key (docs/bus-protocol.md, "Callers and keys"). */
export const ServiceKeyScopes = ['verify', 'enroll', 'recovery', 'sessions', 'authorize'] as const;
export type ServiceKeyScope = (typeof ServiceKeyScopes)[number];

/**
 * The scope each member-facing pattern needs; `null`: any valid key (the JWKS is public data).
 * A pattern missing here is internal: only the platform's own key may send it.
 */
export const ScopeOfPattern: Readonly<Record<string, ServiceKeyScope | null>> = {
  'mfa.verify': 'verify',
  'mfa.challenges.create': 'verify',
  'mfa.devices.create': 'enroll',
  'mfa.devices.enable': 'enroll',
  'mfa.devices.resync': 'enroll',
  'mfa.devices.list': 'enroll',
  'mfa.devices.deactivate': 'enroll',
  'mfa.devices.diagnose': 'enroll',
  'mfa.sms.send': 'enroll',
  'mfa.enrollment.links.create': 'enroll',
  'mfa.recovery-codes.generate': 'recovery',
  'mfa.sessions.issue': 'sessions',
  'mfa.sessions.revoke': 'sessions',
  'mfa.sessions.jwks': null,
  'accounts.get': 'authorize',
  'accounts.authorize': 'authorize',
};

/**
 * Handlers that cost real CPU (scrypt, QR rendering): run beside the bus read loop, a few at a
 * time, taking turns between orgs, so a flood of them does not delay anyone's verify.
 */
export const ExpensivePatterns: ReadonlySet<string> = new Set(['mfa.devices.create', 'mfa.recovery-codes.generate']);

export type PublicPattern = (typeof Patterns)[keyof typeof Patterns];
export type InternalPattern = (typeof InternalPatterns)[keyof typeof InternalPatterns];
export type BusPattern = PublicPattern | InternalPattern;

/** Which service owns a pattern is decided by its first segment. */
export const BusServices = {
  mfa: { stream: 'bus:mfa:requests', group: 'mfa' },
  accounts: { stream: 'bus:accounts:requests', group: 'accounts' },
} as const;
export type BusServiceName = keyof typeof BusServices;

export function ownerOf(pattern: string): BusServiceName | undefined {
  const head = pattern.split('.', 1)[0];
  return head === 'mfa' || head === 'accounts' ? head : undefined;
}

// ---- request / reply types, one pair per pattern --------------------------------------

/**
 * Step-up: for an account with an active device, creating or deactivating a device and new
 * recovery codes need a session token of that account whose MFA time is within 300 s.
 */
export interface StepUp {
  sessionToken?: string;
}
export interface CreateDeviceRequest extends StepUp {
  accountId: string;
  type: MfaMethod;
  name: string;
  phoneNumber?: string;
}
/**
 * WebAuthn JSON as `@simplewebauthn` and the browser's `toJSON()` write it (base64url fields):
 * `registrationOptions` is what `navigator.credentials.create` takes (via `@simplewebauthn/browser`
 * `startRegistration`), `authenticationOptions` what `navigator.credentials.get` takes.
 */
export type WebAuthnJson = Record<string, unknown>;
export interface CreateWebAuthnDeviceReply {
  serialNumber: string;
  status: 'pending';
  registrationOptions: WebAuthnJson;
}
export interface CreateTotpDeviceReply {
  serialNumber: string;
  status: 'pending';
  secretBase32: string;
  otpauthUri: string;
  qrCodePng: string;
}
export interface CreateSmsDeviceReply {
  serialNumber: string;
  status: 'pending';
}
/** TOTP/SMS: `code1` (and `code2`); WebAuthn: `registrationResponse` (the RegistrationResponseJSON). */
export interface EnableDeviceRequest {
  accountId: string;
  serialNumber: string;
  code1?: string;
  code2?: string;
  registrationResponse?: WebAuthnJson;
}
export interface ResyncDeviceRequest {
  accountId: string;
  serialNumber: string;
  code1: string;
  code2: string;
}
export interface AccountRequest {
  accountId: string;
}
export interface DeviceRequest {
  accountId: string;
  serialNumber: string;
}
export interface DeactivateDeviceRequest extends DeviceRequest, StepUp {}
export interface RecoveryCodesRequest extends AccountRequest, StepUp {}
export interface SmsSentReply {
  sent: true;
  expiresAt: string;
}
export interface RecoveryCodesReply {
  codes: string[];
}
/** A code, or a WebAuthn `assertion` (AuthenticationResponseJSON) answering the challenge `challengeId`. */
export interface VerifyRequest {
  accountId: string;
  code?: string;
  serialNumber?: string;
  challengeId?: string;
  assertion?: WebAuthnJson;
}
export interface CreateChallengeRequest {
  accountId: string;
}
export interface CreateChallengeReply {
  challengeId: string;
  authenticationOptions: WebAuthnJson;
  expiresAt: string;
}
export type VerifyReply =
  | { valid: true; serialNumber: string | null; method: VerificationMethod; verifiedAt: string }
  | { valid: false; reason: VerifyFailureReason };
export interface IssueSessionRequest {
  accountId: string;
  code?: string;
  serialNumber?: string;
  challengeId?: string;
  assertion?: WebAuthnJson;
  durationSeconds?: number;
}
export interface IssueSessionReply {
  token: string;
  expiresAt: string;
  mfaAuthenticatedAt: string;
}
export interface RevokeSessionsRequest {
  accountId: string;
}
export interface RevokeSessionsReply {
  revoked: true;
  revokedBefore: string;
}
export interface JwksReply {
  keys: Array<Record<string, unknown>>;
}
export interface AuthorizeRequest {
  accountId: string;
  sessionToken?: string;
  maxMfaAgeSeconds?: number;
  /** what the member is about to do (`billing:refund`): matched against the policy's conditions */
  action?: string;
}
export interface AuthorizeReply {
  allowed: boolean;
  reason: AuthorizeReason;
  enforcement: Enforcement | null;
  /**
   * The condition that set the age asked for this action (the strictest of those that matched),
   * null when none matched or no action was given. Absent for `unknown_account`.
   */
  condition?: MfaCondition | null;
}

export interface NewMember {
  email: string;
  displayName?: string;
  externalId?: string;
}
export interface OrgScoped {
  orgId: string;
}
export interface MemberRef {
  orgId: string;
  accountId: string;
}
export interface ListMembersRequest {
  orgId: string;
  state?: EnforcementState;
  limit: number;
  cursor?: string;
  /** members whose email starts with this (any case), in email order; the cursor is then the search's own */
  email?: string;
}
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
/**
 * Why a member's enforcement state changed (docs/enforcement.md, "History"). `id`: the policy
 * version, the device's serial number or the group id. `group_*` are fed in by the groups work.
 */
export const HistoryCauseTypes = [
  'account_created',
  'history_started',
  'policy_version',
  'device_enabled',
  'device_removed',
  'device_reset',
  'exemption_set',
  'exemption_removed',
  'exemption_expired',
  'deadline_passed',
  'group_joined',
  'group_left',
  'group_policy',
] as const;
export type HistoryCauseType = (typeof HistoryCauseTypes)[number];
export interface HistoryCause {
  type: HistoryCauseType;
  id?: string;
}
/** One transition; `from` is null on the first item (account_created or history_started). */
export interface HistoryItem {
  at: string;
  from: EnforcementState | null;
  to: EnforcementState;
  cause: HistoryCause;
  /** the deadline in force after the transition (null while MFA is not required) */
  graceDeadline: string | null;
}
export interface MemberHistoryRequest extends MemberRef {
  limit: number;
  cursor?: string;
}
export interface MemberStats {
  total: number;
  byState: Record<EnforcementState, number>;
}
export interface ApplyPolicyRequest {
  policy: MfaPolicy;
  rolloutId: string;
}
export interface ApplyPolicyReply {
  accepted: boolean;
  total: number;
}
export interface SetExemptionRequest {
  orgId: string;
  accountId: string;
  until: string;
  reason: string;
}
export interface DeviceResetRequest {
  orgId: string;
  accountId: string;
  serialNumber: string;
}
export interface AccountDeviceResetRequest {
  orgId: string;
  accountId: string;
  activeDeviceCount: number;
  /** active devices that are not SMS; absent from an older caller (the stored figure is kept, capped by the total) */
  secureActiveDeviceCount?: number;
  /** the device reset (added field): named as the cause in the member's history */
  serialNumber?: string;
  at: string;
}
export interface DeviceResetReply {
  device: Device;
  activeDeviceCount: number;
  secureActiveDeviceCount: number;
}
export interface ComplianceRow {
  accountId: string;
  email: string;
  state: EnforcementState;
  graceDeadline: string | null;
  exemptUntil: string | null;
  /** added with groups: the member's groups whose policy is part of its effective policy */
  groups?: string[];
}
export interface CreateGroupRequest {
  orgId: string;
  name: string;
}
export interface GroupRef {
  orgId: string;
  groupId: string;
}
export interface ListGroupsRequest {
  orgId: string;
  limit: number;
  cursor?: string;
}
export interface UpdateGroupMembersRequest {
  orgId: string;
  groupId: string;
  add?: string[];
  remove?: string[];
}
export interface PolicyMethodsCheckRequest {
  orgId: string;
  /** the group whose policy is being written; absent: the org's */
  groupId?: string;
  allowedMethods: MfaMethod[];
}
export interface ApplyGroupPolicyRequest {
  policy: MfaPolicy & { groupId: string };
  rolloutId: string;
}
export interface CompliancePageRequest {
  orgId: string;
  cursor?: string;
  limit: number;
}
export interface ComplianceHistoryRequest {
  orgId: string;
  days: number;
}
export interface ComplianceHistoryItem {
  date: string;
  total: number;
  byState: Record<EnforcementState, number>;
  compliantPercent: number;
}
/**
 * mfa-service -> account-service: tokens of the account issued at or before `before` die; with a
 * `serialNumber`, only those issued from that device. Idempotent; a later `before` wins.
 */
export interface SessionRevocation {
  orgId: string;
  accountId: string;
  serialNumber?: string | null;
  before: string;
  reason: SessionRevocationReason;
}
/** The fields of a policy body the preview evaluates (the rule reads only these). */
export interface PreviewPolicyBody {
  requireMfa: boolean;
  gracePeriodHours: number;
  secureMethodsOnly?: boolean;
}
export interface PolicyPreviewRequest {
  orgId: string;
  policy: PreviewPolicyBody;
  /** the policy is for this group: only its members are counted, the policy in place of the group's (not_found: no such group in the org) */
  groupId?: string;
}
/** A member of the sample, under the proposed policy, with the instant it would be blocked and its state now. */
export type PreviewMember = Member & { blockedAt: string; stateNow: EnforcementState };
export interface PolicyPreview {
  /** the instant the figures are computed for (the service's clock) */
  at: string;
  members: { total: number; byStateNow: Record<EnforcementState, number>; byStateAfter: Record<EnforcementState, number> };
  /** per UTC day, ascending: members who would become non_compliant that day if nothing changes (today holds those non_compliant at once) */
  blockedAt: Array<{ date: string; count: number }>;
  /** members blocked after the last listed day (blockedAt lists at most PREVIEW_MAX_DAYS days) */
  blockedLater: number;
  /** up to 20 members blocked soonest (ties by id) */
  sample: PreviewMember[];
}
/** blockedAt lists at most this many days; the rest are counted in blockedLater. */
export const PREVIEW_MAX_DAYS = 1000;
export const PREVIEW_SAMPLE_SIZE = 20;

export interface DevicesSummaryRequest {
  orgId?: string;
  accountIds?: string[];
}
export interface DevicesSummaryReply {
  devicesByType: Record<MfaMethod, number>;
  /** with orgId: members whose active devices are all SMS (none of SecureMfaMethods) */
  onlySmsCount?: number;
  /** secureActiveCount: active devices that are not SMS */
  accounts: Record<string, { activeCount: number; secureActiveCount: number; deviceCount: number; lastUsedAt: string | null }>;
}

export interface ServiceKey {
  id: string;
  orgId: string;
  name: string;
  scopes: ServiceKeyScope[];
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}
export interface CreateServiceKeyRequest {
  orgId: string;
  name: string;
  scopes: ServiceKeyScope[];
}
/** `salt` derives the secret with the internal key (InternalKey.serviceKeySecret); alone it is worth nothing. */
export type CreatedServiceKey = ServiceKey & { salt: string };
export interface ServiceKeyRefRequest {
  orgId: string;
  keyId: string;
}
export interface ResolveCallersRequest {
  keyIds: string[];
  accountIds: string[];
}
export interface ResolveCallersReply {
  keys: Array<{ id: string; orgId: string; scopes: ServiceKeyScope[]; salt: string; revoked: boolean }>;
  accounts: Array<{ id: string; orgId: string }>;
}

export interface CreateEnrollmentLinkRequest {
  accountId: string;
  returnUrl?: string;
}
export interface EnrollmentLinkReply {
  url: string;
  expiresAt: string;
}
export interface RedeemEnrollmentLinkRequest {
  token: string;
}
/** `redeemed` exactly once per link; afterwards `used`; past its 15 minutes `expired`; `unknown` for anything else. */
export type RedeemEnrollmentLinkReply =
  | { state: 'redeemed'; accountId: string; orgId: string; returnUrl: string | null; expiresAt: string }
  | { state: 'used' | 'expired' | 'unknown' };

export interface DiagnoseRequest {
  accountId: string;
  serialNumber?: string;
  code: string;
  action?: string;
}
/** docs/mfa.md "Troubleshooting a rejected code": which tip applies; never a code, a seed or which digits were wrong. */
export const DiagnosisCodes = [
  'ok',
  'clock_skew',
  'replayed',
  'invalid_code',
  'wrong_serial',
  'pending_device',
  'locked_out',
  'no_active_device',
  'policy_denies',
] as const;
export type DiagnosisCode = (typeof DiagnosisCodes)[number];
export interface DiagnosisFinding {
  code: DiagnosisCode;
  message: string;
  serialNumber?: string;
  /** clock_skew: how many 30 s steps the device is ahead (+) or behind (-) of what the service expects */
  steps?: number;
  /** clock_skew: the resync to run (two consecutive codes) */
  command?: string;
  /** locked_out: when the lockout ends */
  until?: string;
  /** policy_denies: the rule that denies */
  rule?: string;
}
export interface DiagnoseReply {
  findings: DiagnosisFinding[];
  action?: string;
}

/** The type map the typed client uses: `bus.send(Patterns.MfaVerify, req)` is checked both ways. */
export interface BusContract {
  'mfa.devices.create': { request: CreateDeviceRequest; reply: CreateTotpDeviceReply | CreateSmsDeviceReply | CreateWebAuthnDeviceReply };
  'mfa.devices.enable': { request: EnableDeviceRequest; reply: Device };
  'mfa.devices.resync': { request: ResyncDeviceRequest; reply: Device };
  'mfa.devices.list': { request: AccountRequest; reply: { items: Device[] } };
  'mfa.devices.deactivate': { request: DeactivateDeviceRequest; reply: Device };
  'mfa.sms.send': { request: DeviceRequest; reply: SmsSentReply };
  'mfa.recovery-codes.generate': { request: RecoveryCodesRequest; reply: RecoveryCodesReply };
  'mfa.verify': { request: VerifyRequest; reply: VerifyReply };
  'mfa.challenges.create': { request: CreateChallengeRequest; reply: CreateChallengeReply };
  'mfa.sessions.issue': { request: IssueSessionRequest; reply: IssueSessionReply };
  'mfa.sessions.jwks': { request: Record<string, never>; reply: JwksReply };
  'mfa.sessions.revoke': { request: RevokeSessionsRequest; reply: RevokeSessionsReply };
  'mfa.enrollment.links.create': { request: CreateEnrollmentLinkRequest; reply: EnrollmentLinkReply };
  'mfa.devices.diagnose': { request: DiagnoseRequest; reply: DiagnoseReply };
  'accounts.get': { request: AccountRequest; reply: Member };
  'accounts.authorize': { request: AuthorizeRequest; reply: AuthorizeReply };

  'accounts.internal.ping': { request: Record<string, never>; reply: { pong: true } };
  'accounts.internal.members.create': { request: OrgScoped & NewMember; reply: Member };
  'accounts.internal.members.bulk-create': { request: OrgScoped & { members: NewMember[] }; reply: { created: number; existing: number } };
  'accounts.internal.members.list': { request: ListMembersRequest; reply: Page<Member> };
  'accounts.internal.members.get': { request: MemberRef; reply: Member };
  'accounts.internal.members.delete': { request: MemberRef; reply: { deleted: true } };
  'accounts.internal.members.stats': { request: OrgScoped; reply: MemberStats };
  'accounts.internal.members.history': { request: MemberHistoryRequest; reply: Page<HistoryItem> };
  'accounts.internal.policy.apply': { request: ApplyPolicyRequest; reply: ApplyPolicyReply };
  'accounts.internal.policy.get': { request: OrgScoped; reply: MfaPolicy };
  'accounts.internal.exemption.set': { request: SetExemptionRequest; reply: Member };
  'accounts.internal.exemption.remove': { request: MemberRef; reply: Member };
  'accounts.internal.device-reset': { request: AccountDeviceResetRequest; reply: Member };
  'accounts.internal.compliance.page': { request: CompliancePageRequest; reply: Page<ComplianceRow> };
  'accounts.internal.compliance.history': { request: ComplianceHistoryRequest; reply: { items: ComplianceHistoryItem[] } };
  'accounts.internal.service-keys.create': { request: CreateServiceKeyRequest; reply: CreatedServiceKey };
  'accounts.internal.service-keys.list': { request: OrgScoped; reply: { items: ServiceKey[] } };
  'accounts.internal.service-keys.revoke': { request: ServiceKeyRefRequest; reply: ServiceKey };
  'accounts.internal.callers.resolve': { request: ResolveCallersRequest; reply: ResolveCallersReply };
  'accounts.internal.sessions.revoke': { request: SessionRevocation; reply: { recorded: true } };
  'accounts.internal.policy.preview': { request: PolicyPreviewRequest; reply: PolicyPreview };
  'accounts.internal.groups.create': { request: CreateGroupRequest; reply: Group };
  'accounts.internal.groups.list': { request: ListGroupsRequest; reply: Page<Group> };
  'accounts.internal.groups.get': { request: GroupRef; reply: Group };
  'accounts.internal.groups.members.update': { request: UpdateGroupMembersRequest; reply: Group };
  'accounts.internal.groups.delete': { request: GroupRef; reply: { deleted: true } };
  'accounts.internal.policy.methods-check': { request: PolicyMethodsCheckRequest; reply: { ok: true } };
  'accounts.internal.groups.policy.apply': { request: ApplyGroupPolicyRequest; reply: ApplyPolicyReply };
  'mfa.internal.ping': { request: Record<string, never>; reply: { pong: true } };
  'mfa.internal.policy.apply': { request: { policy: MfaPolicy }; reply: { accepted: boolean } };
  'mfa.internal.devices.reset': { request: DeviceResetRequest; reply: DeviceResetReply };
  'mfa.internal.devices.summary': { request: DevicesSummaryRequest; reply: DevicesSummaryReply };
  /** a removed member: every device retired (secrets wiped), recovery codes and failure count gone */
  'mfa.internal.accounts.remove': { request: MemberRef; reply: { devicesRetired: number } };
  'mfa.internal.enrollment.links.redeem': { request: RedeemEnrollmentLinkRequest; reply: RedeemEnrollmentLinkReply };
}

export type RequestOf<P extends BusPattern> = BusContract[P]['request'];
export type ReplyOf<P extends BusPattern> = BusContract[P]['reply'];

export type { AuditEvent };
