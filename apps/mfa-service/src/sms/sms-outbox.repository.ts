import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Envelope } from '@mfa/crypto';
import { outboxAad } from '../common/aad';
import { affected, type Db, rows } from '../common/db';
import { KeyMaterial } from '../common/key-material';
import type { SmsMessage } from './sms-sender';

export interface OutboxMessage extends SmsMessage {
  id: string;
  createdAt: Date;
}

/**
 * The one way to read mfa.sms_outbox (tests, operators' tools): newest first, decrypted. Number
 * and body are envelopes bound to their row and column, so nothing there is readable without the key.
 */
export async function readSmsOutbox(
  db: Db,
  envelope: Envelope,
  filter: { serialNumber?: string; limit?: number } = {},
): Promise<OutboxMessage[]> {
  const found = await rows<{
    id: string;
    account_id: string;
    serial_number: string;
    phone_enc: string;
    body_enc: string;
    created_at: Date;
  }>(
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
