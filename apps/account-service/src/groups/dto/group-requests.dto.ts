import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { MAX_GROUP_MEMBER_CHANGES, type MfaMethod, MfaMethods, MfaPolicyDto } from '@mfa/contracts';

/** A group's name: 1..200 characters, no control characters. */
export const GROUP_NAME_PATTERN = /^[^\p{Cc}]{1,200}$/u;

export class CreateGroupDto {
  @IsUUID()
  orgId: string;

  @IsString()
  @Length(1, 200)
  @Matches(GROUP_NAME_PATTERN, { message: 'name must be 1..200 characters without control characters' })
  name: string;
}

export class GroupRefDto {
  @IsUUID()
  orgId: string;

  @IsUUID()
  groupId: string;
}

export class ListGroupsDto {
  @IsUUID()
  orgId: string;

  @IsInt()
  @Min(1)
  @Max(1000)
  limit: number;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

export class UpdateGroupMembersDto extends GroupRefDto {
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_GROUP_MEMBER_CHANGES)
  @IsUUID('all', { each: true })
  add?: string[];

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_GROUP_MEMBER_CHANGES)
  @IsUUID('all', { each: true })
  remove?: string[];
}

export class PolicyMethodsCheckDto {
  @IsUUID()
  orgId: string;

  @IsOptional()
  @IsUUID()
  groupId?: string;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayUnique()
  @IsIn(MfaMethods, { each: true })
  allowedMethods: MfaMethod[];
}

/**
 * A group policy's hand-over: MfaPolicyDto as is (so fields added to the policy come along), whose
 * optional groupId GroupPolicyService.apply requires (a subclass cannot undo the parent's IsOptional).
 */
export class GroupMfaPolicyDto extends MfaPolicyDto {
  declare groupId: string;
}

export class ApplyGroupPolicyDto {
  @IsObject()
  @ValidateNested()
  @Type(() => GroupMfaPolicyDto)
  policy: GroupMfaPolicyDto;

  @IsUUID()
  rolloutId: string;
}
