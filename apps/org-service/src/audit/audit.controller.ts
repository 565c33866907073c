import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { AuditEvent, Page } from '@mfa/contracts';
import { RequireAccess } from '../auth/access.decorator';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { ApiErrors, AuditPage } from '../http/api-models';
import { AuditService } from './audit.service';
import { ListAuditEventsQuery } from './dto/list-audit-events.query';

@ApiTags('audit')
@ApiBearerAuth()
@Controller('v1/orgs/:orgId/audit-events')
@UseGuards(ApiKeyGuard)
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  /** Newest first. Auditor keys read it like admins. */
  @Get()
  @RequireAccess('org-read')
  @ApiOperation({ operationId: 'listAuditEvents', summary: "The org's audit log, newest first" })
  @ApiParam({ name: 'orgId', format: 'uuid' })
  @ApiOkResponse({ type: AuditPage })
  @ApiErrors([400, 401, 403, 404])
  list(@Param('orgId') orgId: string, @Query() query: ListAuditEventsQuery): Promise<Page<AuditEvent>> {
    return this.audit.list(orgId, query);
  }
}
