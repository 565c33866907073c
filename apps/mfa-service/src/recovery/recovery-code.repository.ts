import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { one, rows } from '../common/db';

export interface RecoveryCodeRow {
  id: string;
  org_id: string;
  salt: Buffer;
  hash: Buffer;
}

export interface NewRecoveryCode {
  id: string;
  salt: Buffer;
  hash: Buffer;
}

@Injectable()
export class RecoveryCodeRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The new set replaces the old one in one transaction: the old codes stop working at once. */
  async replaceSet(accountId: string, orgId: string, codes: NewRecoveryCode[], now: Date): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      await tx.query(`DELETE FROM mfa.recovery_codes WHERE account_id = $1`, [accountId]);
      await tx.query(
        `INSERT INTO mfa.recovery_codes (id, account_id, org_id, salt, hash, created_at)
         SELECT id, $2, $3, salt, hash, $4 FROM unnest($1::uuid[], $5::bytea[], $6::bytea[]) AS c(id, salt, hash)`,
        [codes.map((c) => c.id), accountId, orgId, now, codes.map((c) => c.salt), codes.map((c) => c.hash)],
      );
    });
  }

  unused(accountId: string): Promise<RecoveryCodeRow[]> {
    return rows<RecoveryCodeRow>(
      this.dataSource,
      `SELECT id, org_id, salt, hash FROM mfa.recovery_codes WHERE account_id = $1 AND used_at IS NULL`,
      [accountId],
    );
  }

  /** Single use: only the first of concurrent uses flips used_at. */
  async consume(id: string, accountId: string, now: Date): Promise<number | null> {
    const r = await one<{ n: number; remaining: number }>(
      this.dataSource,
      `WITH upd AS (UPDATE mfa.recovery_codes SET used_at = $2 WHERE id = $1 AND used_at IS NULL RETURNING id)
       SELECT (SELECT count(*)::int FROM upd) AS n,
              (SELECT count(*)::int FROM mfa.recovery_codes WHERE account_id = $3 AND used_at IS NULL AND id <> $1) AS remaining`,
      [id, now, accountId],
    );
    return r && r.n === 1 ? r.remaining : null;
  }
}
