import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { type Job, WaitingError } from 'bullmq';
import { type DeviceEventJob, Jobs, type MaterializePolicyJob, Queues } from '@mfa/contracts';
import { AccountEnforcementRepository } from './account-enforcement.repository';
import { EnforcementQueues } from './enforcement-queues';
import { ENFORCEMENT_OPTIONS, type EnforcementOptions } from './enforcement.options';
import { NOTIFIER, type Notifier } from './notifier';
import { RolloutMaterializerService } from './rollout-materializer.service';

/**
 * The consumers account-service runs: policy rollouts, device events, notifications. Each
 * handler is one call into a service or repository.
 */
@Injectable()
export class EnforcementWorkers implements OnModuleInit, OnModuleDestroy {
  private stopping = false;

  constructor(
    private readonly queues: EnforcementQueues,
    private readonly materializer: RolloutMaterializerService,
    private readonly accounts: AccountEnforcementRepository,
    @Inject(NOTIFIER) private readonly notifier: Notifier,
    @Inject(ENFORCEMENT_OPTIONS) private readonly options: EnforcementOptions,
  ) {}

  onModuleInit(): void {
    this.queues.work(Queues.PolicyRollouts, (job, token) => this.materialize(job, token), { concurrency: this.options.rolloutConcurrency });
    this.queues.work(Queues.DeviceEvents, (job: Job<DeviceEventJob>) => this.deviceEvent(job.data), { concurrency: 8 });
    this.queues.work(Queues.Notifications, (job) => this.notify(job), { concurrency: 2 });
  }

  /** Set before the workers close, so a running walk stops at its next chunk instead of finishing. */
  onModuleDestroy(): void {
    this.stopping = true;
  }

  private async materialize(job: Job<MaterializePolicyJob>, token?: string): Promise<void> {
    const outcome = await this.materializer.run(job.data, () => this.stopping);
    if (!outcome.completed) {
      // shutting down mid-walk: back to waiting, the next instance resumes from Postgres at once
      await job.moveToWait(token);
      throw new WaitingError();
    }
  }

  private async deviceEvent(e: DeviceEventJob): Promise<void> {
    await this.accounts.applyDeviceEvent(e.accountId, e.activeDeviceCount, new Date(e.at));
  }

  private async notify(job: Job): Promise<void> {
    if (job.name === Jobs.PolicyRequiredNotice) await this.notifier.policyRequired(job.data);
    else if (job.name === Jobs.DeadlineReminder) await this.notifier.deadlineReminder(job.data);
  }
}
