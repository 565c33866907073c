import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

/**
 * `?limit=(1..1000, default 100)&cursor=` of a paged listing (docs/admin-api.md), as a base class
 * per cursor bound: `class ListGroupsQueryDto extends pageQuery() {}`. A factory rather than one
 * base class because class-validator stacks a subclass's decorators on the parent's (a second
 * `@MaxLength` would add to the first, not replace it).
 */
export function pageQuery({ cursorMaxLength = 200 }: { cursorMaxLength?: number } = {}) {
  class PageQuery {
    @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 })
    @IsOptional()
    @Type(() => Number)
    @IsInt()
    @Min(1)
    @Max(1000)
    limit: number = 100;

    @ApiPropertyOptional({ description: 'nextCursor of the previous page, as is', maxLength: cursorMaxLength })
    @IsOptional()
    @IsString()
    @MaxLength(cursorMaxLength)
    cursor?: string;
  }
  return PageQuery;
}
