import { Controller, Get, Param, Query, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { RequireAccess } from '../auth/access.decorator';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { ComplianceReportService } from './compliance-report.service';
import { streamCsv } from './csv-response';
import { ComplianceHistoryQuery, ComplianceReportQuery } from './dto/compliance-report.query';

/** Read-only: auditor keys read these like admin keys. */
@Controller('v1/orgs/:orgId/compliance-report')
@UseGuards(ApiKeyGuard)
export class ComplianceReportController {
  constructor(private readonly reports: ComplianceReportService) {}

  @Get()
  @RequireAccess('org-read')
  async report(@Param('orgId') orgId: string, @Query() query: ComplianceReportQuery, @Res() res: Response): Promise<void> {
    if (query.format === 'csv') return streamCsv(res, this.reports.csv(orgId), `compliance-report-${orgId}.csv`);
    res.json(await this.reports.summary(orgId));
  }

  @Get('history')
  @RequireAccess('org-read')
  history(@Param('orgId') orgId: string, @Query() query: ComplianceHistoryQuery) {
    return this.reports.history(orgId, query.days);
  }
}
