import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { affected, one } from '../common/db';

export interface LedgerEntry {
  /** null: one of the limits is full (nothing recorded) */
  id: string | null;
  byPhone: number;
  byAccount: number;
}

/** mfa.sms_sends: SMS codes of the last hour, counted in Postgres beside the Redis limits. */
@Injectable()
export class SmsLedgerRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Records one send when both counts of the last hour are under their max, in one statement. */
  async record(phoneRef: string, accountId: string, now: Date, maxPerPhone: number, maxPerAccount: number): Promise<LedgerEntry> {
    const r = await one<{ by_phone: number; by_account: number; id: string | null }>(
      this.dataSource,
      `WITH c AS (
         SELECT (SELECT count(*)::int FROM mfa.sms_sends WHERE phone_ref = $1 AND sent_at > $3::timestamptz - interval '1 hour') AS by_phone,
                (SELECT count(*)::int FROM mfa.sms_sends WHERE account_id = $2 AND sent_at > $3::timestamptz - interval '1 hour') AS by_account),
       ins AS (
         INSERT INTO mfa.sms_sends (phone_ref, account_id, sent_at)
         SELECT $1, $2, $3 FROM c WHERE c.by_phone < $4 AND c.by_account < $5
         RETURNING id)
       SELECT c.by_phone, c.by_account, (SELECT id::text FROM ins) AS id FROM c`,
      [phoneRef, accountId, now, maxPerPhone, maxPerAccount],
    );
    return { id: r!.id, byPhone: r!.by_phone, byAccount: r!.by_account };
  }

  async remove(id: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM mfa.sms_sends WHERE id = $1`, [id]);
  }

  /** Rows older than the hour they count for; answers how many went. */
  deleteBefore(before: Date, limit: number): Promise<number> {
    return affected(this.dataSource, `DELETE FROM mfa.sms_sends WHERE id IN (SELECT id FROM mfa.sms_sends WHERE sent_at < $1 LIMIT $2)`, [
      before,
      limit,
    ]);
  }
}
