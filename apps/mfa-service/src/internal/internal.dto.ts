import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsObject, IsOptional, IsUUID, Matches, ValidateNested } from 'class-validator';
import { MfaPolicyDto } from '@mfa/contracts';
import { SERIAL_NUMBER_PATTERN } from '../devices/serial-number';

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
