import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { inChunks, JobQueues, OnJob } from '@mfa/bus';
import { Jobs } from '@mfa/contracts';
import type { Envelope } from '@mfa/crypto';
import { outboxAad } from '../common/aad';
import { Clock } from '../common/clock';
import { affected, type Db, rows } from '../common/db';
import { KeyMaterial } from '../common/key-material';
import { MfaServiceEnv } from '../config/mfa-service.env';
import { SmsLedgerRepository } from './sms-ledger.repository';
import type { SmsMessage } from './sms-sender';

export interface OutboxMessage extends SmsMessage {
  id: string;
  createdAt: Date;
}

/**
 * The one way to read mfa.sms_outbox (tests, operators' tools): newest first, decrypted. Number
 * and body are envelopes bound to their row and column, so nothing there is readable without the key.
 */
export async function readSmsOutbox(db: Db, envelope: Envelope, filter: { serialNumber?: string; limit?: number } = {}): Promise<OutboxMessage[]> {
  const found = await rows<{ id: string; account_id: string; serial_number: string; phone_enc: string; body_enc: string; created_at: Date }>(
    db,
    `SELECT id, account_id, serial_number, phone_enc, body_enc, created_at FROM mfa.sms_outbox
      WHERE $1::text IS NULL OR serial_number = $1 ORDER BY created_at DESC, seq DESC LIMIT $2`,
    [filter.serialNumber ?? null, filter.limit ?? 100],
  );
  return found.map((r) => ({
    id: r.id,
    accountId: r.account_id,
    serialNumber: r.serial_number,
    to: envelope.decrypt(r.phone_enc, outboxAad(r.id, 'phone')).toString('utf8'),
    body: envelope.decrypt(r.body_enc, outboxAad(r.id, 'body')).toString('utf8'),
    createdAt: r.created_at,
  }));
}

@Injectable()
export class SmsOutboxRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly keys: KeyMaterial,
  ) {}

  async insert(message: SmsMessage, now: Date): Promise<void> {
    const id = randomUUID();
    const seal = (text: string, column: 'phone' | 'body') => this.keys.envelope.encrypt(Buffer.from(text, 'utf8'), outboxAad(id, column));
    await this.dataSource.query(
      `INSERT INTO mfa.sms_outbox (id, account_id, serial_number, phone_enc, body_enc, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
      [id, message.accountId, message.serialNumber, seal(message.to, 'phone'), seal(message.body, 'body'), now],
    );
  }

  read(filter: { serialNumber?: string; limit?: number } = {}): Promise<OutboxMessage[]> {
    return readSmsOutbox(this.dataSource, this.keys.envelope, filter);
  }

  deleteCreatedBefore(before: Date, limit: number): Promise<number> {
    return affected(
      this.dataSource,
      `DELETE FROM mfa.sms_outbox WHERE id IN (SELECT id FROM mfa.sms_outbox WHERE created_at <= $1 ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
      [before, limit],
    );
  }
}

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
    await this.jobs.upsertScheduler(`mfa-${Jobs.SweepSmsOutbox}`, { every: SWEEP_INTERVAL_MS }, { name: Jobs.SweepSmsOutbox, data: {}, opts: { removeOnComplete: true, removeOnFail: { count: 100 }, attempts: 1 } });
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
