import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { one } from '../common/db';

/** What Postgres holds of an account's failures. */
export interface StoredFailures {
  /** failed codes since the last success or lockout (a floor under Redis' live count) */
  failures: number;
  /** a lockout in force, or null */
  lockedUntil: Date | null;
}

/**
 * Failures and lockouts in Postgres. The live count (and the attempts in flight) are in Redis
 * (VerifyState); each failure is also counted here and each lockout written when it starts, so
 * neither a Redis that loses its data nor someone who edits it can lift a lockout or reset the
 * count of guesses.
 */
@Injectable()
export class AccountFailureRepository {
  constructor(private readonly dataSource: DataSource) {}

  async stored(accountId: string, now: Date): Promise<StoredFailures> {
    const r = await one<{ failures: number; locked_until: Date | null }>(
      this.dataSource,
      `SELECT failures, CASE WHEN locked_until > $2 THEN locked_until END AS locked_until FROM mfa.account_failures WHERE account_id = $1`,
      [accountId, now],
    );
    return { failures: r?.failures ?? 0, lockedUntil: r?.locked_until ?? null };
  }

  /** One more failure; after a lockout that has ended the count starts again. */
  async countFailure(accountId: string, now: Date): Promise<StoredFailures> {
    const r = await one<{ failures: number; locked_until: Date | null }>(
      this.dataSource,
      `INSERT INTO mfa.account_failures AS f (account_id, failures, locked_until, updated_at) VALUES ($1, 1, NULL, $2)
       ON CONFLICT (account_id) DO UPDATE SET
         failures = CASE WHEN f.locked_until <= $2 THEN 1 ELSE f.failures + 1 END,
         locked_until = CASE WHEN f.locked_until <= $2 THEN NULL ELSE f.locked_until END,
         updated_at = $2
       RETURNING failures, locked_until`,
      [accountId, now],
    );
    return { failures: r!.failures, lockedUntil: r!.locked_until };
  }

  /** A success clears the stored count (a lockout in force runs its course). */
  async clearFailures(accountId: string, now: Date): Promise<void> {
    await this.dataSource.query(
      `UPDATE mfa.account_failures SET failures = 0, updated_at = $2 WHERE account_id = $1 AND failures > 0 AND (locked_until IS NULL OR locked_until <= $2)`,
      [accountId, now],
    );
  }

  /** Stores a lockout unless one is in force already; answers whether this call started it. */
  async startLockout(accountId: string, failures: number, lockedUntil: Date, now: Date): Promise<boolean> {
    const started = await one<{ account_id: string }>(
      this.dataSource,
      `INSERT INTO mfa.account_failures AS f (account_id, failures, locked_until, updated_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (account_id) DO UPDATE SET failures = EXCLUDED.failures, locked_until = EXCLUDED.locked_until, updated_at = EXCLUDED.updated_at
         WHERE f.locked_until IS NULL OR f.locked_until <= $4
       RETURNING account_id`,
      [accountId, failures, lockedUntil, now],
    );
    return started !== null;
  }
}
