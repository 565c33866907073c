import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { JobQueues, OnJob } from '@mfa/bus';
import { Jobs, Queues } from '@mfa/contracts';
import { ComplianceJobNames, type ComplianceJobName, ComplianceJobsService, type JobOutcome } from './compliance-jobs.service';
import { COMPLIANCE_SETTINGS, type ComplianceSettings } from './compliance-settings';

/** The scheduler id of a job: one per job name, shared by every instance (upsert, not add). */
export function schedulerId(job: ComplianceJobName): string {
  return `compliance-${job}`;
}

/**
 * The repeatable compliance jobs on the `compliance` queue. Every instance upserts the same
 * job schedulers (idempotent by id) and runs a worker (the job layer); a scheduler yields one
 * job per tick, which exactly one worker takes, however many instances are up. The schedulers'
 * job data is signed like every job the platform adds; the worker runs only signed jobs. A job
 * in flight at shutdown finishes; its work is idempotent, so one cut short is redone next tick.
 */
@Injectable()
export class ComplianceScheduler implements OnApplicationBootstrap {
  readonly queue: Queue;

  constructor(
    private readonly jobs: ComplianceJobsService,
    private readonly jobQueues: JobQueues,
    @Inject(COMPLIANCE_SETTINGS) private readonly settings: ComplianceSettings,
  ) {
    this.queue = jobQueues.queue(Queues.Compliance);
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.settings.schedule) await this.upsertSchedulers();
  }

  /** Re-running it (every boot of every instance) keeps one scheduler per job, with the current interval. */
  async upsertSchedulers(): Promise<void> {
    for (const name of ComplianceJobNames) {
      await this.jobQueues.upsertScheduler(
        schedulerId(name),
        { every: this.settings.intervalSeconds * 1000 },
        {
          name,
          data: {},
          // a tick's job is not worth keeping; a failed one a while, to see why
          opts: { removeOnComplete: true, removeOnFail: { count: 100 }, attempts: 1 },
        },
      );
    }
  }

  @OnJob(Jobs.MaterializeDeadlines)
  materializeDeadlines(): Promise<JobOutcome> {
    return this.jobs.run(Jobs.MaterializeDeadlines);
  }

  @OnJob(Jobs.ExpireExemptions)
  expireExemptions(): Promise<JobOutcome> {
    return this.jobs.run(Jobs.ExpireExemptions);
  }

  @OnJob(Jobs.SendReminders)
  sendReminders(): Promise<JobOutcome> {
    return this.jobs.run(Jobs.SendReminders);
  }

  @OnJob(Jobs.ReconcilePolicyVersions)
  reconcilePolicyVersions(): Promise<JobOutcome> {
    return this.jobs.run(Jobs.ReconcilePolicyVersions);
  }

  @OnJob(Jobs.SnapshotCompliance)
  snapshotCompliance(): Promise<JobOutcome> {
    return this.jobs.run(Jobs.SnapshotCompliance);
  }
}
