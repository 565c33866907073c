import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { inChunks, JobQueues, OnJob } from '@mfa/bus';
import { Jobs } from '@mfa/contracts';
import { Clock } from '../common/clock';
import { MfaServiceEnv } from '../config/mfa-service.env';
import { SmsLedgerRepository } from './sms-ledger.repository';
import { SmsOutboxRepository } from './sms-outbox.repository';

const SWEEP_INTERVAL_MS = 10 * 60_000;
const CHUNK = 1000;

/**
 * Every 10 minutes (a BullMQ job scheduler: one sweep per tick whatever the number of instances):
 * outbox messages older than SMS_OUTBOX_RETENTION_SECONDS, ledger rows older than their hour. Idempotent.
 */
@Injectable()
export class SmsOutboxSweeper implements OnApplicationBootstrap {
  private readonly logger = new Logger(SmsOutboxSweeper.name);

  constructor(
    private readonly outbox: SmsOutboxRepository,
    private readonly ledger: SmsLedgerRepository,
    private readonly clock: Clock,
    @Inject(MfaServiceEnv) private readonly env: MfaServiceEnv,
    private readonly jobs: JobQueues,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.jobs.upsertScheduler(
      `mfa-${Jobs.SweepSmsOutbox}`,
      { every: SWEEP_INTERVAL_MS },
      { name: Jobs.SweepSmsOutbox, data: {}, opts: { removeOnComplete: true, removeOnFail: { count: 100 }, attempts: 1 } },
    );
  }

  /** Deletes every message past its retention (and ledger rows past their hour), in chunks; answers how many messages. */
  @OnJob(Jobs.SweepSmsOutbox)
  async sweep(): Promise<number> {
    const now = this.clock.now().getTime();
    const before = new Date(now - this.env.SMS_OUTBOX_RETENTION_SECONDS * 1000);
    const deleted = await inChunks(CHUNK, () => this.outbox.deleteCreatedBefore(before, CHUNK));
    // the ledger of sends counts the last hour only
    await inChunks(CHUNK, () => this.ledger.deleteBefore(new Date(now - 3_600_000), CHUNK));
    if (deleted > 0) this.logger.log(`deleted ${deleted} SMS outbox messages`);
    return deleted;
  }
}
