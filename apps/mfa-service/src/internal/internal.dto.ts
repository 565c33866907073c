import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsObject, IsOptional, IsUUID, ValidateNested } from 'class-validator';
import { IsSerialNumber, MfaPolicyDto } from '@mfa/contracts';

/** The fields of MfaPolicy mfa-service uses; the rest is accepted and ignored. */
export class ApplyPolicyDto {
  @IsObject()
  @ValidateNested()
  @Type(() => MfaPolicyDto)
  policy: MfaPolicyDto;
}

export class DeviceResetDto {
  @IsUUID()
  orgId: string;

  @IsUUID()
  accountId: string;

  @IsSerialNumber()
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
