import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';

export const ReportFormats = ['json', 'csv'] as const;
export type ReportFormat = (typeof ReportFormats)[number];

/** `GET /v1/orgs/:orgId/compliance-report?format=json|csv` */
export class ComplianceReportQuery {
  @ApiPropertyOptional({ enum: ReportFormats, default: 'json' })
  @IsOptional()
  @IsIn(ReportFormats, { message: 'format must be json or csv' })
  format: ReportFormat = 'json';
}

/** `GET /v1/orgs/:orgId/compliance-report/history?days=` */
export class ComplianceHistoryQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 366, default: 30, description: 'UTC days, today included' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(366)
  days: number = 30;
}
