import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { JobQueues } from '@mfa/bus';
import { type DeadlineReminderJob, Jobs, type PolicyRequiredNoticeJob } from '@mfa/contracts';
import { COMPLIANCE_SETTINGS, type ComplianceSettings } from './compliance-settings';

/**
 * Hands member notifications to the Notifier (enforcement/notifier.ts), which consumes the
 * notifications queue: one job per chunk of accounts, never one per member.
 */
@Injectable()
export class ComplianceNotifications extends JobQueues implements OnModuleDestroy {
  constructor(@Inject(COMPLIANCE_SETTINGS) settings: ComplianceSettings) {
    super(settings.redisUrl, settings.internalKey, ComplianceNotifications.name);
  }

  async deadlineReminder(job: DeadlineReminderJob): Promise<void> {
    await this.add(Jobs.DeadlineReminder, job);
  }

  async policyRequired(job: PolicyRequiredNoticeJob): Promise<void> {
    await this.add(Jobs.PolicyRequiredNotice, job);
  }

  onModuleDestroy(): Promise<void> {
    return this.close();
  }
}
