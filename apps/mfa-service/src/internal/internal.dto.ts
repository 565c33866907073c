import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsBoolean, IsIn, IsInt, IsObject, IsOptional, IsUUID, Matches, Min, ValidateNested } from 'class-validator';
import { MfaMethods, type MfaMethod } from '@mfa/contracts';
import { SERIAL_NUMBER_PATTERN } from '../devices/serial-number';

/** The fields of MfaPolicy mfa-service uses; the rest is accepted and ignored. */
export class PolicyDto {
  @IsUUID()
  orgId: string;

  @IsInt()
  @Min(0)
  version: number;

  @IsBoolean()
  requireMfa: boolean;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayUnique()
  @IsIn(MfaMethods, { each: true })
  allowedMethods: MfaMethod[];

  @IsOptional()
  @IsInt()
  gracePeriodHours?: number;

  @IsOptional()
  @IsInt()
  maxMfaAgeSeconds?: number | null;

  @IsOptional()
  updatedAt?: string | null;
}

export class ApplyPolicyDto {
  @IsObject()
  @ValidateNested()
  @Type(() => PolicyDto)
  policy: PolicyDto;
}

export class AccountRefDto {
  @IsUUID()
  orgId: string;

  @IsUUID()
  accountId: string;
}

export class DeviceResetDto {
  @IsUUID()
  orgId: string;

  @IsUUID()
  accountId: string;

  @Matches(SERIAL_NUMBER_PATTERN, { message: 'serialNumber must be 1..128 characters of [A-Za-z0-9._:-]' })
  serialNumber: string;
}

export class DevicesSummaryDto {
  @IsOptional()
  @IsUUID()
  orgId?: string;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10_000)
  @IsUUID(undefined, { each: true })
  accountIds?: string[];
}
