import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { type Job, type Queue, UnrecoverableError } from 'bullmq';
import { JobQueues } from '@mfa/bus';
import { Queues } from '@mfa/contracts';
import { ComplianceJobNames, type ComplianceJobName, ComplianceJobsService, type JobOutcome } from './compliance-jobs.service';
import { COMPLIANCE_SETTINGS, type ComplianceSettings } from './compliance-settings';

/** The scheduler id of a job: one per job name, shared by every instance (upsert, not add). */
export function schedulerId(job: ComplianceJobName): string {
  return `compliance-${job}`;
}

/**
 * The repeatable compliance jobs on the `compliance` queue. Every instance upserts the same
 * job schedulers (idempotent by id) and runs a worker; a scheduler yields one job per tick,
 * which exactly one worker takes, however many instances are up. The schedulers' job data is
 * signed like every job the platform adds (JobQueues); the worker runs only signed jobs.
 */
@Injectable()
export class ComplianceScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly jobQueues: JobQueues;
  readonly queue: Queue;

  constructor(
    private readonly jobs: ComplianceJobsService,
    @Inject(COMPLIANCE_SETTINGS) private readonly settings: ComplianceSettings,
  ) {
    this.jobQueues = new JobQueues(settings.redisUrl, settings.internalKey, ComplianceScheduler.name);
    this.queue = this.jobQueues.queue(Queues.Compliance);
  }

  async onApplicationBootstrap(): Promise<void> {
    this.jobQueues.work(Queues.Compliance, (job) => this.handle(job), { concurrency: 2 });
    if (this.settings.schedule) await this.upsertSchedulers();
  }

  /** Re-running it (every boot of every instance) keeps one scheduler per job, with the current interval. */
  async upsertSchedulers(): Promise<void> {
    for (const name of ComplianceJobNames) {
      await this.jobQueues.upsertScheduler(schedulerId(name), { every: this.settings.intervalSeconds * 1000 }, {
        name,
        data: {},
        // a tick's job is not worth keeping; a failed one a while, to see why
        opts: { removeOnComplete: true, removeOnFail: { count: 100 }, attempts: 1 },
      });
    }
  }

  async handle(job: Job): Promise<JobOutcome> {
    if (!(ComplianceJobNames as readonly string[]).includes(job.name)) throw new UnrecoverableError(`unknown job ${job.name} on ${Queues.Compliance}`);
    return this.jobs.run(job.name as ComplianceJobName);
  }

  async onModuleDestroy(): Promise<void> {
    // a job in flight finishes; its work is idempotent, so one cut short is redone next tick
    await this.jobQueues.close();
  }
}
