import { Transform, Type } from 'class-transformer';
import { IsIn, IsObject, IsOptional, IsString, IsUUID, Length, Matches, MaxLength, ValidateIf, ValidateNested } from 'class-validator';
import { MfaMethods, type MfaMethod, trimmed, IsSerialNumber } from '@mfa/contracts';
import { RegistrationResponseDto } from '../../methods/webauthn/webauthn.dto';

const SIX_DIGITS = /^\d{6}$/;

export class AccountDto {
  @IsUUID()
  accountId: string;
}

export class DeviceRefDto extends AccountDto {
  @IsSerialNumber()
  serialNumber: string;
}

/** Step-up: a fresh session token, needed once the account has an active device. */
export class StepUpAccountDto extends AccountDto {
  @IsOptional()
  @IsString()
  @MaxLength(8192)
  sessionToken?: string;
}

export class DeactivateDeviceDto extends DeviceRefDto {
  @IsOptional()
  @IsString()
  @MaxLength(8192)
  sessionToken?: string;
}

export class CreateDeviceDto extends StepUpAccountDto {
  @IsIn(MfaMethods)
  type: MfaMethod;

  @Transform(trimmed)
  @IsString()
  @Length(1, 128)
  name: string;

  /** E.164: + then 8 to 15 digits, no leading zero */
  @ValidateIf((o: CreateDeviceDto) => o.type === 'sms' || o.phoneNumber !== undefined)
  @Matches(/^\+[1-9]\d{7,14}$/, { message: 'phoneNumber must be an E.164 number such as +14155550123' })
  phoneNumber?: string;
}

export class EnableDeviceDto extends DeviceRefDto {
  /** TOTP and SMS; a WebAuthn device is enabled with `registrationResponse` instead */
  @ValidateIf((o: EnableDeviceDto) => o.registrationResponse === undefined || o.code1 !== undefined)
  @Transform(trimmed)
  @Matches(SIX_DIGITS, { message: 'code1 must be a 6-digit code' })
  code1?: string;

  /** required for TOTP (checked by the service, which knows the device type) */
  @ValidateIf((o: EnableDeviceDto) => o.code2 !== undefined)
  @Transform(trimmed)
  @Matches(SIX_DIGITS, { message: 'code2 must be a 6-digit code' })
  code2?: string;

  /** WebAuthn: the RegistrationResponseJSON answering the create reply's registrationOptions */
  @ValidateIf((o: EnableDeviceDto) => o.registrationResponse !== undefined)
  @IsObject()
  @ValidateNested()
  @Type(() => RegistrationResponseDto)
  registrationResponse?: RegistrationResponseDto;
}

export class ResyncDeviceDto extends DeviceRefDto {
  @Transform(trimmed)
  @Matches(SIX_DIGITS, { message: 'code1 must be a 6-digit code' })
  code1: string;

  @Transform(trimmed)
  @Matches(SIX_DIGITS, { message: 'code2 must be a 6-digit code' })
  code2: string;
}
