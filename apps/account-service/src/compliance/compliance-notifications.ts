import { Injectable } from '@nestjs/common';
import { JobQueues } from '@mfa/bus';
import { type DeadlineReminderJob, Jobs, type PolicyRequiredNoticeJob } from '@mfa/contracts';

/**
 * Hands member notifications to the Notifier (enforcement/notifier.ts), whose handlers consume
 * the notifications queue: one job per chunk of accounts, never one per member.
 */
@Injectable()
export class ComplianceNotifications {
  constructor(private readonly jobs: JobQueues) {}

  async deadlineReminder(job: DeadlineReminderJob): Promise<void> {
    await this.jobs.add(Jobs.DeadlineReminder, job);
  }

  async policyRequired(job: PolicyRequiredNoticeJob): Promise<void> {
    await this.jobs.add(Jobs.PolicyRequiredNotice, job);
  }
}
