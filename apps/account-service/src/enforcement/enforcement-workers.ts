import { Inject, Injectable } from '@nestjs/common';
import { WaitingError } from 'bullmq';
import { type JobContext, OnJob } from '@mfa/bus';
import {
  type DeadlineReminderJob,
  type DeviceEventJob,
  Jobs,
  type MaterializePolicyJob,
  type PolicyRequiredNoticeJob,
} from '@mfa/contracts';
import { AccountEnforcementRepository, type DeviceEventKind } from './account-enforcement.repository';
import { NOTIFIER, type Notifier } from './notifier';
import { RolloutMaterializerService } from './rollout-materializer.service';

/** How a device event shows in the member's history. */
function deviceEventKind(cause: DeviceEventJob['cause']): DeviceEventKind {
  if (cause === 'enabled') return 'device_enabled';
  if (cause === 'admin_reset') return 'device_reset';
  return 'device_removed';
}

/**
 * The jobs account-service's enforcement consumes: policy rollouts, device events,
 * notifications. Each handler is one call into a service or repository.
 */
@Injectable()
export class EnforcementWorkers {
  constructor(
    private readonly materializer: RolloutMaterializerService,
    private readonly accounts: AccountEnforcementRepository,
    @Inject(NOTIFIER) private readonly notifier: Notifier,
  ) {}

  @OnJob(Jobs.MaterializePolicy)
  async materialize(job: MaterializePolicyJob, { job: bullJob, token, stopping }: JobContext): Promise<void> {
    // stopping: a running walk stops at its next chunk instead of finishing
    const outcome = await this.materializer.run(job, () => stopping.aborted);
    if (!outcome.completed) {
      // shutting down mid-walk: back to waiting, the next instance resumes from Postgres at once
      await bullJob.moveToWait(token);
      throw new WaitingError();
    }
  }

  @OnJob(Jobs.DeviceActivated, Jobs.DeviceDeactivated)
  async deviceEvent(e: DeviceEventJob): Promise<void> {
    await this.accounts.applyDeviceEvent(e.accountId, { active: e.activeDeviceCount, secure: e.secureActiveDeviceCount }, new Date(e.at), {
      kind: deviceEventKind(e.cause),
      serialNumber: e.serialNumber ?? null,
    });
  }

  @OnJob(Jobs.PolicyRequiredNotice)
  async policyRequired(notice: PolicyRequiredNoticeJob): Promise<void> {
    await this.notifier.policyRequired(notice);
  }

  @OnJob(Jobs.DeadlineReminder)
  async deadlineReminder(reminder: DeadlineReminderJob): Promise<void> {
    await this.notifier.deadlineReminder(reminder);
  }
}
