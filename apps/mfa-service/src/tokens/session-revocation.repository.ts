import { Injectable } from '@nestjs/common';
import type { SessionRevocationReason } from '@mfa/contracts';
import { type Db, one, rows } from '../common/db';

export interface RevocationRow {
  id: string;
  org_id: string;
  account_id: string;
  serial_number: string | null;
  revoked_before: Date;
  reason: SessionRevocationReason;
}

const COLUMNS = 'id, org_id, account_id, serial_number, revoked_before, reason';

@Injectable()
export class SessionRevocationRepository {
  async insert(db: Db, r: RevocationRow): Promise<RevocationRow> {
    return (await one<RevocationRow>(
      db,
      `INSERT INTO mfa.session_revocations (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
      [r.id, r.org_id, r.account_id, r.serial_number, r.revoked_before, r.reason],
    ))!;
  }

  /** The latest revocation that covers a token of this account issued from `serialNumber` (null: a recovery code). */
  async revokedBefore(db: Db, accountId: string, serialNumber: string | null): Promise<Date | null> {
    const r = await one<{ t: Date | null }>(
      db,
      `SELECT max(revoked_before) AS t FROM mfa.session_revocations
        WHERE account_id = $1 AND (serial_number IS NULL OR serial_number = $2)`,
      [accountId, serialNumber],
    );
    return r?.t ? new Date(r.t) : null;
  }

  /** Undelivered rows older than `olderThan`, locked for this transaction (instances share the work). */
  async claimUndelivered(tx: Db, olderThan: Date, limit: number): Promise<RevocationRow[]> {
    return rows<RevocationRow>(
      tx,
      `SELECT ${COLUMNS} FROM mfa.session_revocations WHERE delivered_at IS NULL AND created_at < $1
        ORDER BY created_at LIMIT ${limit} FOR UPDATE SKIP LOCKED`,
      [olderThan],
    );
  }

  async markDelivered(db: Db, ids: string[]): Promise<void> {
    if (ids.length) await db.query(`UPDATE mfa.session_revocations SET delivered_at = now() WHERE id = ANY($1::uuid[])`, [ids]);
  }
}
