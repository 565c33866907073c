import { Type } from 'class-transformer';
import {
  IsIn,
  IsISO8601,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import {
  ACTION_PATTERN,
  MemberRefDto,
  MfaPolicyDto,
  SessionRevocationReasons,
  type SessionRevocationReason,
  IsSerialNumber,
} from '@mfa/contracts';

/** Bus payloads of the enforcement patterns, validated here whoever sent them. */

export class ApplyPolicyDto {
  @IsObject() // ValidateNested alone lets `[]` through
  @ValidateNested()
  @Type(() => MfaPolicyDto)
  policy: MfaPolicyDto;

  @IsUUID()
  rolloutId: string;
}

export class SetExemptionDto extends MemberRefDto {
  @IsISO8601({ strict: true })
  until: string;

  @IsString()
  @Length(1, 500)
  reason: string;
}

export class AccountDeviceResetDto extends MemberRefDto {
  @IsInt()
  @Min(0)
  activeDeviceCount: number;

  @IsOptional()
  @IsInt()
  @Min(0)
  secureActiveDeviceCount?: number;

  @IsOptional()
  @IsSerialNumber()
  serialNumber?: string;

  @IsISO8601({ strict: true })
  at: string;
}

export class SessionRevocationDto extends MemberRefDto {
  /** absent or null: every token of the account */
  @ValidateIf((o: SessionRevocationDto) => o.serialNumber !== undefined && o.serialNumber !== null)
  @IsSerialNumber()
  serialNumber?: string | null;

  @IsISO8601({ strict: true })
  before: string;

  @IsIn(SessionRevocationReasons)
  reason: SessionRevocationReason;
}

export class AuthorizeDto {
  /** any string: an id that is not one of ours is `unknown_account`, not a validation error */
  @IsString()
  @MaxLength(100)
  accountId: string;

  @IsOptional()
  @IsString()
  @MaxLength(8192)
  sessionToken?: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(129_600)
  maxMfaAgeSeconds?: number;

  /** matched against the policy's conditions (docs/enforcement.md "Per-action conditions"); a `*` is a pattern, not an action */
  @IsOptional()
  @IsString()
  @Matches(ACTION_PATTERN, { message: 'action must be 1..128 characters of [A-Za-z0-9:_./-] (no *)' })
  action?: string;
}

/** accounts.internal.members.history: one page of a member's history, newest first. */
export class MemberHistoryDto extends MemberRefDto {
  @IsInt()
  @Min(1)
  @Max(1000)
  limit: number = 100;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}
