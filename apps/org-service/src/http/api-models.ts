import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiProperty, ApiPropertyOptional, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import {
  ApiKeyRoles,
  AuditActions,
  AuditActorTypes,
  DeviceStatuses,
  EnforcementStates,
  ErrorCodes,
  HistoryCauseTypes,
  MfaMethods,
  RolloutStatuses,
  ServiceKeyScopes,
} from '@mfa/contracts';

/**
 * The admin API's answers as OpenAPI schemas (served at /docs-json, copied to docs/openapi.json).
 * Documentation only: the services build these shapes from @mfa/contracts' types, and
 * apps/org-service/test/openapi.e2e-spec.ts checks every live answer against these schemas.
 */

const uuid = (example?: string) => ({ format: 'uuid', ...(example ? { example } : {}) });
const at = (description?: string) => ({
  format: 'date-time',
  example: '2026-12-01T09:30:00.000Z',
  ...(description ? { description } : {}),
});
const nullableAt = (description?: string) => ({ ...at(description), nullable: true, type: String });

export class ByStateCounts {
  @ApiProperty({ example: 3 }) not_required: number;
  @ApiProperty({ example: 40 }) pending: number;
  @ApiProperty({ example: 120 }) compliant: number;
  @ApiProperty({ example: 2 }) non_compliant: number;
  @ApiProperty({ example: 1 }) exempt: number;
}

export class MemberCounts {
  @ApiProperty({ example: 166 }) total: number;
  @ApiProperty({ type: ByStateCounts }) byState: ByStateCounts;
}

export class Condition {
  @ApiProperty({
    type: String,
    isArray: true,
    minItems: 1,
    maxItems: 20,
    example: ['billing:*', 'repo:delete'],
    description: 'action names, or prefixes ending in a single `*`; each 1..128 characters of [A-Za-z0-9:_./-]',
  })
  actions: string[];
  @ApiProperty({ example: 300, minimum: 60, maximum: 129_600, description: 'the oldest MFA session a matching action accepts' })
  maxMfaAgeSeconds: number;
}

export class Policy {
  @ApiProperty(uuid()) orgId: string;
  @ApiProperty({ example: 2, description: '0 before the first PUT' }) version: number;
  @ApiProperty({ example: true }) requireMfa: boolean;
  @ApiProperty({ example: 168, minimum: 0, maximum: 8760 }) gracePeriodHours: number;
  @ApiProperty({ enum: MfaMethods, isArray: true, example: ['totp', 'sms'] }) allowedMethods: string[];
  @ApiProperty({ type: Number, nullable: true, example: 43200, minimum: 60, maximum: 129_600 }) maxMfaAgeSeconds: number | null;
  @ApiProperty({ example: false, description: 'SMS devices neither count toward compliance nor may be enrolled' })
  secureMethodsOnly: boolean;
  @ApiProperty({ type: Condition, isArray: true, description: 'per-action conditions; [] when none' })
  conditions: Condition[];
  @ApiProperty(nullableAt('null before the first PUT')) updatedAt: string | null;
}

export class AdminKey {
  @ApiProperty(uuid()) id: string;
  @ApiProperty({ example: 'mfak_6f1c..._Zm9v...', description: 'shown only in this answer' }) key: string;
  @ApiProperty({ enum: ApiKeyRoles, example: 'admin' }) role: string;
}

export class OrgCreated {
  @ApiProperty(uuid()) id: string;
  @ApiProperty({ example: 'Acme Corp' }) name: string;
  @ApiProperty(at()) createdAt: string;
  @ApiProperty({ type: AdminKey }) adminKey: AdminKey;
}

export class Org {
  @ApiProperty(uuid()) id: string;
  @ApiProperty({ example: 'Acme Corp' }) name: string;
  @ApiProperty(at()) createdAt: string;
  @ApiProperty({ type: Policy }) policy: Policy;
  @ApiProperty({ type: MemberCounts }) members: MemberCounts;
}

export class ApiKeyCreated {
  @ApiProperty(uuid()) id: string;
  @ApiProperty({ example: 'mfak_6f1c..._Zm9v...', description: 'shown only in this answer' }) key: string;
  @ApiProperty({ enum: ApiKeyRoles, example: 'auditor' }) role: string;
  @ApiProperty({ type: String, nullable: true, example: 'CI deploy key' }) label: string | null;
}

export class ApiKeyIdentity {
  @ApiProperty({ ...uuid(), type: String, nullable: true, description: 'null for the platform key' }) id: string | null;
  @ApiProperty(uuid()) orgId: string;
  @ApiProperty({ enum: [...ApiKeyRoles, 'platform'], example: 'admin' }) role: string;
}

export class EffectivePolicy {
  @ApiProperty({ example: true }) requireMfa: boolean;
  @ApiProperty({ enum: MfaMethods, isArray: true, example: ['totp'] }) allowedMethods: string[];
  @ApiProperty({ type: Number, nullable: true, example: 3600 }) maxMfaAgeSeconds: number | null;
  @ApiProperty({ example: false }) secureMethodsOnly: boolean;
}

export class Enforcement {
  @ApiProperty({
    enum: EnforcementStates,
    example: 'pending',
    description: 'computed from the current policy at each request (docs/enforcement.md)',
  })
  state: string;
  @ApiProperty({ example: 2, description: "the org's current policy version" }) policyVersion: number;
  @ApiProperty(nullableAt('when MFA became required; null while it is not')) requiredSince: string | null;
  @ApiProperty(nullableAt('non_compliant from then on without an active device')) graceDeadline: string | null;
  @ApiProperty(nullableAt('only while an exemption is in force')) exemptUntil: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, example: 'on leave', description: 'only while an exemption is in force' })
  exemptReason?: string | null;
  @ApiPropertyOptional({
    type: () => EffectivePolicy,
    description: "the strictest of the org's policy and of the policies of the member's groups (docs/enforcement.md)",
  })
  effectivePolicy?: EffectivePolicy;
  @ApiPropertyOptional({ type: [String], format: 'uuid', description: "the member's groups whose policy is part of its effective policy" })
  groups?: string[];
}

export class Member {
  @ApiProperty(uuid()) id: string;
  @ApiProperty(uuid()) orgId: string;
  @ApiProperty({ example: 'ada@example.com' }) email: string;
  @ApiProperty({ type: String, nullable: true, example: 'Ada Lovelace' }) displayName: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'emp-1815' }) externalId: string | null;
  @ApiProperty(at()) createdAt: string;
  @ApiProperty({ type: Enforcement }) enforcement: Enforcement;
}

export class Device {
  @ApiProperty({ example: 'totp:7f3a9c2e', pattern: '^[A-Za-z0-9._:-]+$' }) serialNumber: string;
  @ApiProperty({ enum: MfaMethods, example: 'totp' }) type: string;
  @ApiProperty({ example: 'work phone' }) name: string;
  @ApiProperty({ enum: DeviceStatuses, example: 'active' }) status: string;
  @ApiProperty(at()) createdAt: string;
  @ApiProperty(nullableAt()) enabledAt: string | null;
  @ApiProperty(nullableAt()) lastUsedAt: string | null;
  @ApiPropertyOptional({
    description: 'WebAuthn only: the authenticator model (all zeros when it does not say)',
    example: 'fbfc3007-154e-4ecc-8c0b-6e020557d7bd',
  })
  aaguid?: string;
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: "WebAuthn only: the model's name when its AAGUID is a known one",
    example: 'iCloud Keychain',
  })
  authenticatorName?: string | null;
  @ApiPropertyOptional({ description: 'WebAuthn only: the passkey is synced to a cloud account' }) backedUp?: boolean;
}

export class MemberWithDevices extends Member {
  @ApiProperty({ type: [Device] }) devices: Device[];
}

export class MemberPage {
  @ApiProperty({ type: [Member] }) items: Member[];
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'bTE6NmYxYy4uLg',
    description: 'pass as `cursor` for the next page; null on the last page',
  })
  nextCursor: string | null;
}

export class HistoryCause {
  @ApiProperty({ enum: HistoryCauseTypes, example: 'deadline_passed', description: 'docs/enforcement.md, "History"' }) type: string;
  @ApiPropertyOptional({
    example: '3',
    description: 'the policy version (policy_version), the serial number (device_*), the group id (group_*)',
  })
  id?: string;
}

export class HistoryItem {
  @ApiProperty(at('when the state changed (a derived instant for deadline_passed and exemption_expired)')) at: string;
  @ApiProperty({
    enum: [...EnforcementStates, null],
    nullable: true,
    type: String,
    example: 'pending',
    description: 'null on the first item (account_created or history_started)',
  })
  from: string | null;
  @ApiProperty({ enum: EnforcementStates, example: 'non_compliant' }) to: string;
  @ApiProperty({ type: HistoryCause }) cause: HistoryCause;
  @ApiProperty(nullableAt('the deadline in force after the change; null while MFA is not required')) graceDeadline: string | null;
}

export class MemberHistoryPage {
  @ApiProperty({ type: [HistoryItem], description: 'newest first' }) items: HistoryItem[];
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'aDE6MTc5NjYzMjAwMDAwMDox',
    description: 'pass as `cursor` for the next (older) page; null on the last page',
  })
  nextCursor: string | null;
}

export class BulkAdded {
  @ApiProperty({ example: 9990 }) created: number;
  @ApiProperty({ example: 10, description: 'duplicates within the body and emails already in the org' }) existing: number;
}

export class Rollout {
  @ApiProperty(uuid()) id: string;
  @ApiProperty(uuid()) orgId: string;
  @ApiProperty({ example: 2 }) policyVersion: number;
  @ApiProperty({ enum: RolloutStatuses, example: 'running' }) status: string;
  @ApiProperty({ example: 100000 }) total: number;
  @ApiProperty({ example: 40000 }) applied: number;
  @ApiProperty(at()) createdAt: string;
  @ApiProperty(nullableAt()) completedAt: string | null;
  @ApiPropertyOptional({ ...uuid(), description: "a group policy's rollout: the group (policyVersion is the group's)" }) groupId?: string;
}

export class GroupPolicy extends Policy {
  @ApiProperty(uuid()) groupId: string;
}

export class Group {
  @ApiProperty(uuid()) id: string;
  @ApiProperty(uuid()) orgId: string;
  @ApiProperty({ example: 'admins' }) name: string;
  @ApiProperty({ example: 12 }) memberCount: number;
  @ApiProperty({
    // a $ref cannot be nullable in OpenAPI 3.0: one of the policy or null
    anyOf: [{ $ref: getSchemaPath(GroupPolicy) }, { type: 'null' }],
    description: "the group's current policy; null before its first PUT",
  })
  policy: GroupPolicy | null;
  @ApiProperty(at()) createdAt: string;
}

export class GroupPage {
  @ApiProperty({ type: [Group] }) items: Group[];
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'ZzE6NmYxYy4uLg',
    description: 'pass as `cursor` for the next page; null on the last page',
  })
  nextCursor: string | null;
}

export class GroupPolicyAccepted {
  @ApiProperty({ type: GroupPolicy }) policy: GroupPolicy;
  @ApiProperty({ type: Rollout }) rollout: Rollout;
}

export class PolicyAccepted {
  @ApiProperty({ type: Policy }) policy: Policy;
  @ApiProperty({ type: Rollout }) rollout: Rollout;
}

export class PreviewMember extends Member {
  @ApiProperty(at('when this member becomes non_compliant under the proposed policy if nothing changes (now when at once)'))
  blockedAt: string;
  @ApiProperty({ enum: EnforcementStates, example: 'compliant', description: 'the state under the current policy' }) stateNow: string;
}

export class PreviewMemberCounts {
  @ApiProperty({ example: 166 }) total: number;
  @ApiProperty({ type: ByStateCounts, description: 'under the current policy' }) byStateNow: ByStateCounts;
  @ApiProperty({ type: ByStateCounts, description: 'under the proposed policy, as if PUT now' }) byStateAfter: ByStateCounts;
}

export class BlockedDay {
  @ApiProperty({ format: 'date', example: '2026-12-12' }) date: string;
  @ApiProperty({ example: 1234 }) count: number;
}

export class PolicyPreview {
  @ApiProperty(at('the instant the figures are computed for')) at: string;
  @ApiProperty({ type: PreviewMemberCounts }) members: PreviewMemberCounts;
  @ApiProperty({
    type: [BlockedDay],
    description:
      'per UTC day, ascending, days with nobody absent: members who become non_compliant that day if nothing changes; ' +
      "today's entry holds the members non_compliant at once (at most 1000 days)",
  })
  blockedAt: BlockedDay[];
  @ApiProperty({ example: 0, description: 'members blocked after the last listed day (0 unless more than 1000 days are listed)' })
  blockedLater: number;
  @ApiProperty({
    type: [PreviewMember],
    description: 'up to 20 members blocked soonest (ties by id), enforcement under the proposed policy',
  })
  sample: PreviewMember[];
}

export class DevicesByType {
  @ApiProperty({ example: 110 }) totp: number;
  @ApiProperty({ example: 14 }) sms: number;
  @ApiProperty({ example: 9 }) webauthn: number;
}

export class ComplianceReport {
  @ApiProperty(at()) generatedAt: string;
  @ApiProperty({ example: 166 }) total: number;
  @ApiProperty({ type: ByStateCounts }) byState: ByStateCounts;
  @ApiProperty({ example: 74.07, description: '100 × compliant / (total − not_required − exempt), 2 decimals; 0 when that is 0' })
  compliantPercent: number;
  @ApiProperty({ type: DevicesByType, description: 'active devices' }) devicesByType: DevicesByType;
  @ApiProperty({ example: 12, description: 'members whose active devices are all SMS (what secureMethodsOnly does not count)' })
  onlySmsCount: number;
}

export class ComplianceDay {
  @ApiProperty({ format: 'date', example: '2026-12-01' }) date: string;
  @ApiProperty({ example: 166 }) total: number;
  @ApiProperty({ type: ByStateCounts }) byState: ByStateCounts;
  @ApiProperty({ example: 74.07 }) compliantPercent: number;
}

export class ComplianceHistory {
  @ApiProperty({ type: [ComplianceDay], description: 'oldest first; days without a snapshot are absent' }) items: ComplianceDay[];
}

export class AuditActor {
  @ApiProperty({ enum: AuditActorTypes, example: 'api_key' }) type: string;
  @ApiProperty({ type: String, nullable: true, example: '6f1c2b9e-4c1d-4f7a-9a51-1f0c2b6b3a10' }) id: string | null;
}

export class AuditTarget {
  @ApiProperty({ example: 'member' }) type: string;
  @ApiProperty({ type: String, nullable: true, example: '0b9d8a1e-2f3c-4d5e-8f70-1a2b3c4d5e6f' }) id: string | null;
}

export class AuditEvent {
  @ApiProperty(uuid()) id: string;
  @ApiProperty(at()) at: string;
  @ApiProperty({ type: AuditActor }) actor: AuditActor;
  @ApiProperty({ enum: AuditActions, example: 'member.added' }) action: string;
  @ApiProperty({ type: AuditTarget }) target: AuditTarget;
  @ApiProperty({ type: 'object', additionalProperties: true, example: { email: 'ada@example.com' }, description: 'never holds a secret' })
  details: Record<string, unknown>;
}

export class AuditPage {
  @ApiProperty({ type: [AuditEvent], description: 'newest first' }) items: AuditEvent[];
  @ApiProperty({ type: String, nullable: true, description: 'null on the last page' }) nextCursor: string | null;
}

export class ServiceKeyCreated {
  @ApiProperty(uuid()) id: string;
  @ApiProperty({ example: 'billing-app' }) name: string;
  @ApiProperty({ enum: ServiceKeyScopes, isArray: true, example: [...ServiceKeyScopes] }) scopes: string[];
  @ApiProperty({ example: 'mfask_...', description: 'the HMAC secret of bus entries; shown only in this answer' }) secret: string;
  @ApiProperty(at()) createdAt: string;
}

export class ServiceKey {
  @ApiProperty(uuid()) id: string;
  @ApiProperty({ example: 'billing-app' }) name: string;
  @ApiProperty({ enum: ServiceKeyScopes, isArray: true, example: ['verify', 'authorize'] }) scopes: string[];
  @ApiProperty(at()) createdAt: string;
  @ApiProperty(nullableAt('moves at most once a minute')) lastUsedAt: string | null;
  @ApiProperty(nullableAt()) revokedAt: string | null;
}

export class ServiceKeyList {
  @ApiProperty({ type: [ServiceKey] }) items: ServiceKey[];
}

export class FieldProblem {
  @ApiProperty({ example: 'members[17].email' }) field: string;
  @ApiProperty({ type: [String], example: ['members[17].email must be an email'] }) problems: string[];
}

/** Every error answer (docs/admin-api.md, "Errors"). */
export class ErrorBody {
  @ApiProperty({ example: 400 }) statusCode: number;
  @ApiProperty({ enum: Object.values(ErrorCodes), example: 'validation_failed' }) code: string;
  @ApiProperty({ example: 'members[17].email must be an email' }) message: string;
  @ApiPropertyOptional({ type: [FieldProblem], description: 'validation_failed: every bad field (at most 20)' }) details?: FieldProblem[];
  @ApiPropertyOptional({ example: '3f9e0c1a-...', description: '500 only: the same id is in the log' }) errorId?: string;
}

/** What each status means on this API; a route lists the statuses it can answer. */
const ERRORS = {
  400: {
    codes: ['validation_failed'],
    text: 'a bad body, query or path parameter (named in `message`), malformed JSON, or JSON nested deeper than 32 levels',
  },
  401: { codes: ['unauthenticated'], text: 'no key, an unknown or a revoked key' },
  403: {
    codes: ['forbidden'],
    text: "the key's role may not do this (an auditor writing, the platform key on an org route, an org key creating orgs)",
  },
  404: { codes: ['not_found'], text: 'no such thing, or it belongs to another org' },
  409: { codes: ['conflict'], text: 'a duplicate' },
  413: { codes: ['validation_failed'], text: 'the body is over its limit (64 KiB; 2 MiB for members/bulk)' },
  429: { codes: ['rate_limited'], text: 'too many requests in flight' },
  503: { codes: ['unavailable'], text: 'a service this answer needs did not reply in time' },
} as const;
export type ErrorStatus = keyof typeof ERRORS;

const example = (status: ErrorStatus, code: string, message: string) => ({ statusCode: status, code, message });
const EXAMPLES: Record<ErrorStatus, object> = {
  400: example(400, 'validation_failed', 'email must be an email'),
  401: example(401, 'unauthenticated', 'unknown or revoked API key'),
  403: example(403, 'forbidden', 'an auditor key may not do this'),
  404: example(404, 'not_found', 'member not found'),
  409: example(409, 'conflict', 'a member with this email already exists in the organization'),
  413: example(413, 'validation_failed', 'request body is larger than 64 KiB'),
  429: example(429, 'rate_limited', 'at most 2 bulk imports at a time; retry shortly'),
  503: example(503, 'unavailable', "mfa-service did not answer; the member's devices are unknown, try again"),
};

/**
 * The error answers of a route, each with the error shape, its code(s) and an example.
 * `why` overrides the default description of a status for this route.
 */
export function ApiErrors(statuses: ErrorStatus[], why: Partial<Record<ErrorStatus, string>> = {}): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(ErrorBody, FieldProblem),
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: `\`${ERRORS[status].codes.join('`, `')}\`: ${why[status] ?? ERRORS[status].text}`,
        content: { 'application/json': { schema: { $ref: getSchemaPath(ErrorBody) }, example: EXAMPLES[status] } },
      }),
    ),
  );
}
