import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { type AuditAction, AuditActions } from '@mfa/contracts';

/** `GET /v1/orgs/:orgId/audit-events?limit=&cursor=&action=` */
export class ListAuditEventsQuery {
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
  @MaxLength(512)
  cursor?: string;

  @ApiPropertyOptional({ enum: AuditActions, description: 'only events of this action' })
  @IsOptional()
  @IsIn(AuditActions, { message: `action must be one of: ${AuditActions.join(', ')}` })
  action?: AuditAction;
}
