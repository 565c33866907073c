import 'reflect-metadata'; // @Type reads design types as the classes load
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import {
  type AuditAction,
  type AuditActorType,
  AuditActions,
  AuditActorTypes,
  type MfaMethod,
  MfaMethods,
  type RolloutStatus,
  RolloutStatuses,
} from './enums';
import { IsSerialNumber } from './dto';
import type { JobName } from './queues';

/**
 * One validation class per job name (JobPayloadDtos): the job layer checks a job's data against
 * it after the signature and before the handler, and fails a job that does not match for good,
 * naming every bad field. A signed job is the platform's own, so these catch bugs and old
 * versions' shapes, not attackers: they say what is wrong instead of letting a handler crash.
 */

/** Postgres' uuid: any 8-4-4-4-12 hex id (IsUUID also checks the version bits). */
const UUID_LIKE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const IsUuidLike = (each = false): PropertyDecorator =>
  Matches(UUID_LIKE, { each, message: each ? '$property must hold uuids' : '$property must be a uuid' });

/** Most accounts one notification job names (a chunk of a walk). */
export const MAX_ACCOUNTS_PER_JOB = 10_000;

/** The scheduled jobs carry nothing. */
export class NoPayloadJobDto {}

export class MaterializePolicyJobDto {
  @IsUuidLike() orgId: string;
  @IsUuidLike() rolloutId: string;
  @IsInt() @Min(0) policyVersion: number;
  @IsOptional() @IsUuidLike() groupId?: string;
}

export class DeviceEventJobDto {
  @IsUuidLike() accountId: string;
  @IsUuidLike() orgId: string;
  @IsSerialNumber() serialNumber: string;
  @IsIn(MfaMethods) type: MfaMethod;
  @IsInt() @Min(0) activeDeviceCount: number;
  @IsOptional() @IsInt() @Min(0) secureActiveDeviceCount?: number;
  @IsIn(['enabled', 'member_deactivated', 'admin_reset', 'expired', 'account_removed']) cause: string;
  @IsISO8601({ strict: true }) at: string;
}

export class PolicyRequiredNoticeJobDto {
  @IsUuidLike() orgId: string;
  @IsInt() @Min(0) policyVersion: number;
  @IsArray() @ArrayMaxSize(MAX_ACCOUNTS_PER_JOB) @IsUuidLike(true) accountIds: string[];
  @IsOptional() @IsUuidLike() groupId?: string;
}

export class DeadlineReminderJobDto {
  @IsUuidLike() orgId: string;
  @IsArray() @ArrayMaxSize(MAX_ACCOUNTS_PER_JOB) @IsUuidLike(true) accountIds: string[];
  @IsInt() offsetHours: number;
  @IsOptional() @IsArray() @IsISO8601({ strict: true }, { each: true }) deadlines?: string[];
}

export class RolloutProgressJobDto {
  @IsUuidLike() rolloutId: string;
  @IsUuidLike() orgId: string;
  @IsInt() @Min(0) policyVersion: number;
  @IsIn(RolloutStatuses) status: RolloutStatus;
  @IsInt() @Min(0) total: number;
  @IsInt() @Min(0) applied: number;
  @ValidateIf((_, v) => v !== null) @IsISO8601({ strict: true }) completedAt: string | null;
}

class AuditActorDto {
  @IsIn(AuditActorTypes)
  type: AuditActorType;

  @ValidateIf((_, v) => v !== null)
  @IsString()
  @MaxLength(200)
  id: string | null;
}

class AuditTargetDto {
  @IsString()
  @MaxLength(100)
  type: string;

  @ValidateIf((_, v) => v !== null)
  @IsString()
  @MaxLength(200)
  id: string | null;
}

/** An AuditEventJob as it comes off the queue: checked before it is written (STYLE habit 3). */
export class AuditEventJobDto {
  @IsUUID()
  id: string;

  @IsUUID()
  orgId: string;

  @IsISO8601({ strict: true })
  at: string;

  @IsObject() // ValidateNested alone lets `[]` through
  @ValidateNested()
  @Type(() => AuditActorDto)
  actor: AuditActorDto;

  @IsIn(AuditActions)
  action: AuditAction;

  @IsObject() // ValidateNested alone lets `[]` through
  @ValidateNested()
  @Type(() => AuditTargetDto)
  target: AuditTargetDto;

  @IsOptional()
  @IsObject()
  details: Record<string, unknown> = {};
}

export class SmsDeliveryJobDto {
  @IsUuidLike() accountId: string;
  @IsSerialNumber() deviceSerialNumber: string;
  @IsString() @MaxLength(10_000) sealed: string;
  @IsISO8601({ strict: true }) sentAt: string;
}

/** The validation class of each job's payload: a new job name does not compile without one. */
export const JobPayloadDtos: Record<JobName, new () => object> = {
  'materialize-policy': MaterializePolicyJobDto,
  'device-activated': DeviceEventJobDto,
  'device-deactivated': DeviceEventJobDto,
  'policy-required-notice': PolicyRequiredNoticeJobDto,
  'deadline-reminder': DeadlineReminderJobDto,
  'materialize-deadlines': NoPayloadJobDto,
  'expire-exemptions': NoPayloadJobDto,
  'send-reminders': NoPayloadJobDto,
  'reconcile-policy-versions': NoPayloadJobDto,
  'snapshot-compliance': NoPayloadJobDto,
  'rollout-progress': RolloutProgressJobDto,
  'record-audit-event': AuditEventJobDto,
  'send-sms': SmsDeliveryJobDto,
  'sweep-pending-devices': NoPayloadJobDto,
  'sweep-sms-outbox': NoPayloadJobDto,
};
