import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsEmail,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
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
  trimmed,
} from '@mfa/contracts';
import { pageQuery } from '../../http/page-query';
import { OrgParamsDto } from '../../orgs/dto/create-org.dto';

export class NewMemberDto {
  @ApiProperty({ example: 'ada@example.com', maxLength: 254 })
  @Transform(normalizedEmail)
  @IsEmail()
  @MaxLength(254)
  email: string;

  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional()
  @Transform(trimmed)
  @IsString()
  @MaxLength(200)
  displayName?: string;

  @ApiPropertyOptional({ maxLength: 200, description: "the member's id in the org's own directory" })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  externalId?: string;
}

export class BulkMembersDto {
  @ApiProperty({ type: [NewMemberDto], minItems: 1, maxItems: MAX_BULK_MEMBERS })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_BULK_MEMBERS)
  @IsObject({ each: true }) // ValidateNested alone lets `[[]]` through: an inner array has no fields to fail
  @ValidateNested({ each: true })
  @Type(() => NewMemberDto)
  members: NewMemberDto[];
}

/** An email search's cursor carries the last email (254 characters, UTF-8) in base64url: up to 1400 characters. */
export class ListMembersQueryDto extends pageQuery({ cursorMaxLength: 1400 }) {
  @ApiPropertyOptional({ enum: EnforcementStates })
  @IsOptional()
  @IsIn(EnforcementStates)
  state?: EnforcementState;

  @ApiPropertyOptional({
    maxLength: 254,
    description:
      'Members whose email starts with this, any case (`ada@`, `ADA`), in email order; with `state`, both apply. Paging goes on with the nextCursor of a search with the same email.',
  })
  @IsOptional()
  @Transform(normalizedEmail)
  @IsString()
  @MinLength(1)
  @MaxLength(254)
  @Matches(EMAIL_PREFIX_PATTERN, { message: EMAIL_PREFIX_MESSAGE })
  email?: string;
}

export class MemberParamsDto extends OrgParamsDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  accountId: string;
}

export class MemberHistoryQueryDto extends pageQuery() {}
