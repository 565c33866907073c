import { IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';

export class CreateEnrollmentLinkDto {
  @IsUUID()
  accountId: string;

  @IsOptional()
  @IsString()
  @MaxLength(2048)
  returnUrl?: string;
}

export class RedeemEnrollmentLinkDto {
  /** 32 random bytes, base64url */
  @Matches(/^[A-Za-z0-9_-]{43}$/, { message: 'token must be an enrollment link token' })
  token: string;
}
