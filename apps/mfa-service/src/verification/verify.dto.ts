import { IsInt, IsOptional, IsString, IsUUID, Length, Matches, Max, Min } from 'class-validator';
import { SERIAL_NUMBER_PATTERN } from '../devices/serial-number';

export class VerifyDto {
  @IsUUID()
  accountId: string;

  /** a TOTP/SMS code or a recovery code (`xxxx-xxxx-xxxx`) */
  @IsString()
  @Length(1, 64)
  code: string;

  @IsOptional()
  @Matches(SERIAL_NUMBER_PATTERN, { message: 'serialNumber must be 1..128 characters of [A-Za-z0-9._:-]' })
  serialNumber?: string;
}

export class IssueSessionDto extends VerifyDto {
  @IsOptional()
  @IsInt()
  @Min(900)
  @Max(129_600)
  durationSeconds?: number;
}
