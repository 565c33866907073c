import { IsInt, IsOptional, IsString, IsUUID, Length, Max, Min } from 'class-validator';
import { IsSerialNumber } from '@mfa/contracts';

export class VerifyDto {
  @IsUUID()
  accountId: string;

  /** a TOTP/SMS code or a recovery code (`xxxx-xxxx-xxxx`) */
  @IsString()
  @Length(1, 64)
  code: string;

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
