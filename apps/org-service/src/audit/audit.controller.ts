import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import type { AuditEvent, Page } from '@mfa/contracts';
import { RequireAccess } from '../auth/access.decorator';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { AuditService } from './audit.service';
import { ListAuditEventsQuery } from './dto/list-audit-events.query';


@Controller('v1/orgs/:orgId/audit-events')
@UseGuards(ApiKeyGuard)
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  /** Newest first. Auditor keys read it like admins. */
  @Get()
  @RequireAccess('org-read')
  list(@Param('orgId') orgId: string, @Query() query: ListAuditEventsQuery): Promise<Page<AuditEvent>> {
    return this.audit.list(orgId, query);
  }
}
