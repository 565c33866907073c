import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { type AuditAction, AuditActions } from '@mfa/contracts';
import { pageQuery } from '../../http/page-query';

/** `GET /v1/orgs/:orgId/audit-events?limit=&cursor=&action=` */
export class ListAuditEventsQuery extends pageQuery({ cursorMaxLength: 512 }) {
  @ApiPropertyOptional({ enum: AuditActions, description: 'only events of this action' })
  @IsOptional()
  @IsIn(AuditActions, { message: `action must be one of: ${AuditActions.join(', ')}` })
  action?: AuditAction;
}
