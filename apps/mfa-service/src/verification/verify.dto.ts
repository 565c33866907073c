import { Type } from 'class-transformer';
import { IsInt, IsObject, IsOptional, IsString, IsUUID, Length, Max, Min, ValidateIf, ValidateNested } from 'class-validator';
import { IsSerialNumber } from '@mfa/contracts';
import { AssertionDto } from '../methods/webauthn/webauthn.dto';

/** A code, or a WebAuthn `assertion` with the `challengeId` it answers (one of the two forms). */
export class VerifyDto {
  @IsUUID()
  accountId: string;

  /** a TOTP/SMS code or a recovery code (`xxxx-xxxx-xxxx`); required unless an assertion is given */
  @ValidateIf((o: VerifyDto) => o.assertion === undefined || o.code !== undefined)
  @IsString()
  @Length(1, 64)
  code?: string;

  /** from mfa.challenges.create; required with an assertion */
  @ValidateIf((o: VerifyDto) => o.assertion !== undefined || o.challengeId !== undefined)
  @IsUUID()
  challengeId?: string;

  /** AuthenticationResponseJSON (navigator.credentials.get(...).toJSON()) */
  @ValidateIf((o: VerifyDto) => o.assertion !== undefined || (o.challengeId !== undefined && o.code === undefined))
  @IsObject()
  @ValidateNested()
  @Type(() => AssertionDto)
  assertion?: AssertionDto;

  @IsOptional()
  @IsSerialNumber()
  serialNumber?: string;
}

export class IssueSessionDto extends VerifyDto {
  @IsOptional()
  @IsInt()
  @Min(900)
  @Max(129_600)
  durationSeconds?: number;
}
