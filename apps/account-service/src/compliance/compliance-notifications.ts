import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Queue } from 'bullmq';
import { type DeadlineReminderJob, Jobs, type PolicyRequiredNoticeJob, QUEUE_PREFIX, Queues } from '@mfa/contracts';
import { COMPLIANCE_SETTINGS, type ComplianceSettings } from './compliance-settings';

const JOB_OPTIONS = { attempts: 5, backoff: { type: 'exponential', delay: 500 }, removeOnComplete: true, removeOnFail: { count: 1000 } };

/**
 * Hands member notifications to the Notifier (enforcement/notifier.ts), which consumes the
 * notifications queue: one job per chunk of accounts, never one per member.
 */
@Injectable()
export class ComplianceNotifications implements OnModuleDestroy {
  private readonly queue: Queue;

  constructor(@Inject(COMPLIANCE_SETTINGS) settings: ComplianceSettings) {
    this.queue = new Queue(Queues.Notifications, { connection: { url: settings.redisUrl, maxRetriesPerRequest: null }, prefix: QUEUE_PREFIX });
  }

  async deadlineReminder(job: DeadlineReminderJob): Promise<void> {
    await this.queue.add(Jobs.DeadlineReminder, job, JOB_OPTIONS);
  }

  async policyRequired(job: PolicyRequiredNoticeJob): Promise<void> {
    await this.queue.add(Jobs.PolicyRequiredNotice, job, JOB_OPTIONS);
  }

  async onModuleDestroy(): Promise<void> {
    await this.queue.close();
  }
}
