import { Module } from '@nestjs/common';
import { InternalKey } from '@mfa/crypto';
import { AccountServiceEnv } from '../config/account-service.env';
import { OrgPolicyRepository } from '../enforcement/org-policy.repository';
import { RolloutMaterializerRepository } from '../enforcement/rollout-materializer.repository';
import { GroupRepository } from '../groups/group.repository';
import { ComplianceController } from './compliance.controller';
import { ComplianceJobsRepository } from './compliance-jobs.repository';
import { ComplianceJobsService } from './compliance-jobs.service';
import { ComplianceMetrics } from './compliance-metrics';
import { ComplianceNotifications } from './compliance-notifications';
import { ComplianceReportRepository } from './compliance-report.repository';
import { ComplianceReportService } from './compliance-report.service';
import { ComplianceScheduler } from './compliance-scheduler';
import { PolicyPreviewRepository } from './policy-preview.repository';
import { PolicyPreviewService } from './policy-preview.service';
import { COMPLIANCE_SETTINGS, complianceSettingsFromEnv } from './compliance-settings';

/**
 * Compliance in account-service: the report's bus handlers and the repeatable jobs. The
 * enforcement repositories are stateless query holders, provided here again rather than
 * imported, so this module does not depend on how the enforcement module is wired. "Now" is
 * the service's one Clock (ClockModule), the same the members, authorize and history read.
 */
@Module({
  controllers: [ComplianceController],
  providers: [
    { provide: COMPLIANCE_SETTINGS, inject: [AccountServiceEnv, InternalKey], useFactory: complianceSettingsFromEnv },
    OrgPolicyRepository,
    GroupRepository,
    RolloutMaterializerRepository,
    ComplianceReportRepository,
    ComplianceReportService,
    ComplianceJobsRepository,
    ComplianceJobsService,
    ComplianceMetrics,
    ComplianceNotifications,
    ComplianceScheduler,
    PolicyPreviewRepository,
    PolicyPreviewService,
  ],
  exports: [ComplianceJobsService, ComplianceScheduler],
})
export class ComplianceModule {}
