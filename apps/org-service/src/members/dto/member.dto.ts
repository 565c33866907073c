import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
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
  trimmed,
} from '@mfa/contracts';
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

export class ListMembersQueryDto {
  @ApiPropertyOptional({ enum: EnforcementStates })
  @IsOptional()
  @IsIn(EnforcementStates)
  state?: EnforcementState;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit: number = 100;

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

  @ApiPropertyOptional({ description: 'nextCursor of the previous page, as is', maxLength: 1400 })
  @IsOptional()
  @IsString()
  @MaxLength(1400)
  cursor?: string;
}

export class MemberParamsDto extends OrgParamsDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  accountId: string;
}

export class MemberHistoryQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit: number = 100;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page, as is' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}
