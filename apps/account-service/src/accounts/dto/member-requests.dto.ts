import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsEmail,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  Matches,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import {
  EMAIL_PREFIX_MESSAGE,
  EMAIL_PREFIX_PATTERN,
  type EnforcementState,
  EnforcementStates,
  MAX_BULK_MEMBERS,
  normalizedEmail,
} from '@mfa/contracts';

/**
 * Payloads of the account-service bus patterns, validated at this boundary too: the bus is
 * also open to member services in other languages, and org-service's checks are not ours.
 */
export class AccountIdDto {
  @IsUUID()
  accountId: string;
}

export class NewMemberDto {
  @Transform(normalizedEmail)
  @IsEmail()
  @MaxLength(254)
  email: string;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  displayName?: string;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  externalId?: string;
}

export class CreateMemberDto extends NewMemberDto {
  @IsUUID()
  orgId: string;
}

export class BulkCreateMembersDto {
  @IsUUID()
  orgId: string;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_BULK_MEMBERS)
  @IsObject({ each: true }) // ValidateNested alone lets `[[]]` through
  @ValidateNested({ each: true })
  @Type(() => NewMemberDto)
  members: NewMemberDto[];
}

export class ListMembersDto {
  @IsUUID()
  orgId: string;

  @IsOptional()
  @IsIn(EnforcementStates)
  state?: EnforcementState;

  @IsInt()
  @Min(1)
  @Max(1000)
  limit: number = 100;

  /** a prefix of the email, any case (the search runs on lower(email)) */
  @IsOptional()
  @Transform(normalizedEmail)
  @IsString()
  @MinLength(1)
  @MaxLength(254)
  @Matches(EMAIL_PREFIX_PATTERN, { message: EMAIL_PREFIX_MESSAGE })
  email?: string;

  // an email search's cursor carries the last email (254 characters, UTF-8) in base64url
  @IsOptional()
  @IsString()
  @MaxLength(1400)
  cursor?: string;
}
