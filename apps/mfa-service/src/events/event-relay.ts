import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { type BulkJob, JobQueues, Periodic } from '@mfa/bus';
import { EventOutboxRepository } from './event-outbox.repository';

const BATCH = 200;
const SWEEP_MS = 1000;

/**
 * Moves jobs from mfa.event_outbox to their BullMQ queues; the outbox row id is the job id.
 * MfaEvents kicks it after each commit; the 1 s sweep picks up what a kick missed (a crash, Redis
 * down). A local timer (Periodic), not a BullMQ job scheduler: it is what feeds Redis, so it
 * must keep running when Redis is down or lost its data (a scheduler lives in Redis).
 */
@Injectable()
export class EventRelay implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(EventRelay.name);
  private readonly periodic = new Periodic('event relay', SWEEP_MS, () => this.flushAll(), this.logger);

  constructor(
    private readonly outbox: EventOutboxRepository,
    private readonly jobs: JobQueues,
  ) {}

  onModuleInit(): void {
    this.periodic.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.periodic.stop();
    // last chance (the job layer closes after this); rows left are sent at the next start
    await this.flushOnce().catch(() => undefined);
  }

  /** Runs a flush now, or once more after the running one (never two at a time). */
  kick(): void {
    this.periodic.kick();
  }

  /** Resolves when nothing written so far is left in the outbox (tests, shutdown). */
  async drain(): Promise<void> {
    await this.periodic.run().catch(() => undefined);
    await this.flushOnce();
  }

  private async flushAll(): Promise<void> {
    while ((await this.flushOnce()) === BATCH);
  }

  private flushOnce(): Promise<number> {
    return this.outbox.takeBatch(BATCH, (batch) =>
      this.jobs.addBulk(
        batch.map(
          (j) =>
            ({
              name: j.job_name,
              data: j.payload,
              // the job id dedupes a batch re-sent after a crash between add and delete
              opts: {
                jobId: j.id,
                attempts: 10,
                backoff: { type: 'exponential', delay: 1000 },
                removeOnComplete: 1000,
                removeOnFail: 10000,
              },
            }) as BulkJob,
        ),
      ),
    );
  }
}
