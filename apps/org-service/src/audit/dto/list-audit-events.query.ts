import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { type AuditAction, AuditActions } from '@mfa/contracts';

/** `GET /v1/orgs/:orgId/audit-events?limit=&cursor=&action=` */
export class ListAuditEventsQuery {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit: number = 100;

  @IsOptional()
  @IsString()
  @MaxLength(512)
  cursor?: string;

  @IsOptional()
  @IsIn(AuditActions as unknown as string[], { message: `action must be one of: ${AuditActions.join(', ')}` })
  action?: AuditAction;
}
