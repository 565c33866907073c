import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type BulkJob, JobQueues } from '@mfa/bus';
import { InternalKey } from '@mfa/crypto';
import type { JobName } from '@mfa/contracts';
import { MfaServiceEnv } from '../config/mfa-service.env';

const BATCH = 200;
const SWEEP_MS = 1000;

/** Moves jobs from mfa.event_outbox to their BullMQ queues; the outbox row id is the job id. */
@Injectable()
export class EventRelay implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(EventRelay.name);
  private readonly jobs: JobQueues;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = false;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(MfaServiceEnv) env: MfaServiceEnv,
    internalKey: InternalKey,
  ) {
    this.jobs = new JobQueues(env.REDIS_URL, internalKey, EventRelay.name);
  }

  onModuleInit(): void {
    this.timer = setInterval(() => this.kick(), SWEEP_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
    await this.flushOnce().catch(() => undefined); // last chance; rows left are sent at the next start
    await this.jobs.close();
  }

  /** Runs a flush now, or once more after the running one (never two at a time). */
  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => (this.running = undefined));
  }

  /** Resolves when nothing written so far is left in the outbox (tests, shutdown). */
  async drain(): Promise<void> {
    while (this.running) await this.running;
    await this.flushOnce();
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      try {
        while ((await this.flushOnce()) === BATCH);
      } catch (err) {
        this.logger.warn(`event relay: ${(err as Error).message}; retrying`);
        return;
      }
    } while (this.again && !this.stopped);
  }

  /** One batch: lock rows (SKIP LOCKED: instances share the work), enqueue, delete. */
  private async flushOnce(): Promise<number> {
    return this.dataSource.transaction(async (tx) => {
      const batch: Array<{ id: string; job_name: JobName; payload: object }> = await tx.query(
        `SELECT id, job_name, payload FROM mfa.event_outbox ORDER BY created_at LIMIT ${BATCH} FOR UPDATE SKIP LOCKED`,
      );
      if (batch.length === 0) return 0;
      await this.jobs.addBulk(
        batch.map((j) => ({
          name: j.job_name,
          data: j.payload,
          // the job id dedupes a batch re-sent after a crash between add and delete
          opts: { jobId: j.id, attempts: 10, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: 1000, removeOnFail: 10000 },
        }) as BulkJob),
      );
      await tx.query(`DELETE FROM mfa.event_outbox WHERE id = ANY($1::uuid[])`, [batch.map((r) => r.id)]);
      return batch.length;
    });
  }
}
