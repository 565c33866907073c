import { IsOptional, IsString, IsUUID, Length, Matches } from 'class-validator';
import { ACTION_PATTERN, IsSerialNumber } from '@mfa/contracts';

export class DiagnoseDto {
  @IsUUID()
  accountId: string;

  @IsOptional()
  @IsSerialNumber()
  serialNumber?: string;

  /** the code that was rejected (a TOTP or SMS code) */
  @IsString()
  @Length(1, 64)
  code: string;

  /** echoed; a policy condition it falls under is a policy_denies finding (docs/mfa.md "Troubleshooting a rejected code") */
  @IsOptional()
  @IsString()
  @Matches(ACTION_PATTERN, { message: 'action must be 1..128 characters of [A-Za-z0-9:_./-] (no *), as accounts.authorize takes it' })
  action?: string;
}
