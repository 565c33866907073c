import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type Db, one } from '../common/db';

export interface FailureOutcome {
  failures: number;
  lockedUntil: Date | null;
  /** this failure is the one that started the lockout (exactly one per lockout) */
  lockoutStarted: boolean;
}

/** Failed codes in a row per account, in Postgres so every instance shares them. */
@Injectable()
export class AccountFailureRepository {
  constructor(private readonly dataSource: DataSource) {}

  async lockedUntil(accountId: string, now: Date): Promise<Date | null> {
    const r = await one<{ locked_until: Date }>(
      this.dataSource,
      `SELECT locked_until FROM mfa.account_failures WHERE account_id = $1 AND locked_until > $2`,
      [accountId, now],
    );
    return r?.locked_until ?? null;
  }

  /**
   * Counts one failure atomically (upsert under the row lock). A lockout in force is kept as is
   * (it lasts its full period from when it began); an expired one starts a fresh count. The
   * lockout starts when the count reaches `max`, which happens once per count.
   */
  async recordFailure(accountId: string, now: Date, max: number, lockoutSeconds: number): Promise<FailureOutcome> {
    const r = await one<{ failures: number; locked_until: Date | null }>(
      this.dataSource,
      `WITH n AS (SELECT $2::timestamptz AS now, $2::timestamptz + make_interval(secs => $4) AS until)
       INSERT INTO mfa.account_failures AS f (account_id, failures, locked_until, updated_at)
       SELECT $1, 1, CASE WHEN 1 >= $3 THEN n.until END, n.now FROM n
       ON CONFLICT (account_id) DO UPDATE SET
         failures = CASE WHEN f.locked_until <= $2 THEN 1 ELSE f.failures + 1 END,
         locked_until = CASE
           WHEN f.locked_until > $2 THEN f.locked_until
           WHEN (CASE WHEN f.locked_until <= $2 THEN 1 ELSE f.failures + 1 END) >= $3
             THEN $2::timestamptz + make_interval(secs => $4)
           ELSE NULL END,
         updated_at = $2
       RETURNING failures, locked_until`,
      [accountId, now, max, lockoutSeconds],
    );
    return { failures: r!.failures, lockedUntil: r!.locked_until, lockoutStarted: r!.failures === max };
  }

  async reset(accountId: string, now: Date, db: Db = this.dataSource): Promise<void> {
    await db.query(`DELETE FROM mfa.account_failures WHERE account_id = $1 AND (locked_until IS NULL OR locked_until <= $2)`, [accountId, now]);
  }
}
