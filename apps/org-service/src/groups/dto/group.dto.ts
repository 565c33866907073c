import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsOptional, IsString, IsUUID, Length, Matches } from 'class-validator';
import { MAX_GROUP_MEMBER_CHANGES, trimmed } from '@mfa/contracts';
import { pageQuery } from '../../http/page-query';
import { OrgParamsDto } from '../../orgs/dto/create-org.dto';

export class CreateGroupDto {
  @ApiProperty({ example: 'admins', minLength: 1, maxLength: 200, description: 'unique in the org' })
  @Transform(trimmed)
  @IsString()
  @Length(1, 200)
  @Matches(/^[^\p{Cc}]+$/u, { message: 'name must not hold control characters' })
  name: string;
}

export class GroupParamsDto extends OrgParamsDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  groupId: string;
}

export class ListGroupsQueryDto extends pageQuery() {}

/** `PUT .../groups/:groupId/members`: at most 10,000 ids in add and remove together. */
export class UpdateGroupMembersDto {
  @ApiPropertyOptional({ type: [String], format: 'uuid', maxItems: MAX_GROUP_MEMBER_CHANGES, description: 'members of the org to add' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_GROUP_MEMBER_CHANGES)
  @IsUUID('all', { each: true })
  add?: string[];

  @ApiPropertyOptional({
    type: [String],
    format: 'uuid',
    maxItems: MAX_GROUP_MEMBER_CHANGES,
    description: 'ids not in the group are ignored',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_GROUP_MEMBER_CHANGES)
  @IsUUID('all', { each: true })
  remove?: string[];
}
