import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { InternalPatterns } from '@mfa/contracts';
import { BusValidationPipe } from '@mfa/bus';
import { ComplianceReportService } from './compliance-report.service';
import { ComplianceHistoryDto, CompliancePageDto, PolicyPreviewDto } from './dto/compliance-page.dto';
import { PolicyPreviewService } from './policy-preview.service';

/** Bus handlers of the compliance report and the policy preview (called by org-service). */
@Controller()
export class ComplianceController {
  constructor(
    private readonly reports: ComplianceReportService,
    private readonly previews: PolicyPreviewService,
  ) {}

  @MessagePattern(InternalPatterns.AccountsCompliancePage)
  page(@Payload(BusValidationPipe) req: CompliancePageDto) {
    return this.reports.page(req.orgId, req.limit, req.cursor);
  }

  @MessagePattern(InternalPatterns.AccountsComplianceHistory)
  history(@Payload(BusValidationPipe) req: ComplianceHistoryDto) {
    return this.reports.history(req.orgId, req.days);
  }

  @MessagePattern(InternalPatterns.AccountsPolicyPreview)
  preview(@Payload(BusValidationPipe) req: PolicyPreviewDto) {
    return this.previews.preview(req);
  }
}
