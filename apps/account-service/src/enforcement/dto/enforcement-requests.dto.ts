import { Type } from 'class-transformer';
import {
  ArrayMinSize, ArrayUnique, IsArray, IsBoolean, IsIn, IsInt, IsISO8601, IsOptional, IsString, IsUUID, Length, Max, MaxLength, Min, ValidateNested,
} from 'class-validator';
import { type MfaMethod, MfaMethods } from '@mfa/contracts';

/** Bus payloads of the enforcement patterns, validated here whoever sent them. */
export class PolicyDto {
  @IsUUID()
  orgId: string;

  @IsInt()
  @Min(0)
  version: number;

  @IsBoolean()
  requireMfa: boolean;

  @IsInt()
  @Min(0)
  @Max(8760)
  gracePeriodHours: number;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayUnique()
  @IsIn(MfaMethods, { each: true })
  allowedMethods: MfaMethod[];

  @IsOptional()
  @IsInt()
  @Min(60)
  @Max(129_600)
  maxMfaAgeSeconds: number | null;

  @IsOptional()
  @IsISO8601({ strict: true })
  updatedAt: string | null;
}

export class ApplyPolicyDto {
  @ValidateNested()
  @Type(() => PolicyDto)
  policy: PolicyDto;

  @IsUUID()
  rolloutId: string;
}

export class OrgRefDto {
  @IsUUID()
  orgId: string;
}

export class MemberRefDto {
  @IsUUID()
  orgId: string;

  @IsUUID()
  accountId: string;
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

  @IsISO8601({ strict: true })
  at: string;
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
}
