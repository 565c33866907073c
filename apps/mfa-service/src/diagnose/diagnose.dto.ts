import { IsOptional, IsString, IsUUID, Length, Matches } from 'class-validator';
import { IsSerialNumber } from '@mfa/contracts';

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

  /** echoed until per-action conditions exist (docs/mfa.md "Troubleshooting a rejected code") */
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_.:-]{1,100}$/, { message: 'action must be 1-100 letters, digits or _ . : -' })
  action?: string;
}
