import { Controller, Get, Param, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiExtraModels, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { Response } from 'express';
import { RequireAccess } from '../auth/access.decorator';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { ComplianceReportService } from './compliance-report.service';
import { ApiErrors, ComplianceHistory, ComplianceReport } from '../http/api-models';
import { streamCsv } from './csv-response';
import { ComplianceHistoryQuery, ComplianceReportQuery } from './dto/compliance-report.query';

/** Read-only: auditor keys read these like admin keys. */
@ApiTags('compliance')
@ApiBearerAuth()
@ApiParam({ name: 'orgId', format: 'uuid' })
@ApiExtraModels(ComplianceReport)
@Controller('v1/orgs/:orgId/compliance-report')
@UseGuards(ApiKeyGuard)
export class ComplianceReportController {
  constructor(private readonly reports: ComplianceReportService) {}

  @Get()
  @RequireAccess('org-read')
  @ApiOperation({ operationId: 'getComplianceReport', summary: 'The compliance report, as JSON or as a streamed CSV' })
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({
    description:
      'JSON (`format=json`, the default) or CSV (`format=csv`): one row per member, header ' +
      '`account_id,email,enforcement_state,mfa_active,device_count,grace_deadline,last_mfa_used_at,exempt_until`.',
    content: {
      'application/json': { schema: { $ref: getSchemaPath(ComplianceReport) } },
      'text/csv': {
        schema: { type: 'string' },
        example:
          'account_id,email,enforcement_state,mfa_active,device_count,grace_deadline,last_mfa_used_at,exempt_until\n' +
          '0b9d8a1e-2f3c-4d5e-8f70-1a2b3c4d5e6f,ada@example.com,compliant,true,1,,2026-12-01T09:30:00.000Z,\n',
      },
    },
  })
  @ApiErrors([400, 401, 403, 404])
  async report(@Param('orgId') orgId: string, @Query() query: ComplianceReportQuery, @Res() res: Response): Promise<void> {
    if (query.format === 'csv') return streamCsv(res, this.reports.csv(orgId), `compliance-report-${orgId}.csv`);
    res.json(await this.reports.summary(orgId));
  }

  @Get('history')
  @RequireAccess('org-read')
  @ApiOperation({ operationId: 'getComplianceHistory', summary: 'Daily compliance snapshots, oldest first' })
  @ApiOkResponse({ type: ComplianceHistory })
  @ApiErrors([400, 401, 403, 404])
  history(@Param('orgId') orgId: string, @Query() query: ComplianceHistoryQuery) {
    return this.reports.history(orgId, query.days);
  }
}
