import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { one } from '../common/db';

/**
 * Lockouts in Postgres: the live count is in Redis (VerifyState); each lockout is also written
 * here when it starts, so it runs its full period even if Redis loses its data.
 */
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

  async recordLockout(accountId: string, failures: number, lockedUntil: Date, now: Date): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO mfa.account_failures (account_id, failures, locked_until, updated_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (account_id) DO UPDATE SET failures = EXCLUDED.failures, locked_until = EXCLUDED.locked_until, updated_at = EXCLUDED.updated_at`,
      [accountId, failures, lockedUntil, now],
    );
  }
}
