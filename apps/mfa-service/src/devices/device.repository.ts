import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type Device, type MfaMethod, SecureMfaMethods } from '@mfa/contracts';
import { affected, type Db, one, rows } from '../common/db';

/** A device row as SQL returns it (snake_case, bigint as string). */
export interface ActiveDeviceCounts {
  active: number;
  secure: number;
}

export interface DeviceRow {
  id: string;
  serial_number: string;
  account_id: string;
  org_id: string;
  type: MfaMethod;
  name: string;
  status: 'pending' | 'active' | 'deactivated';
  secret_enc: string | null;
  phone_enc: string | null;
  drift_steps: number;
  last_step: string | null;
  sms_code_hash: Buffer | null;
  sms_code_expires_at: Date | null;
  sms_sent_at: Date | null;
  created_at: Date;
  enabled_at: Date | null;
  last_used_at: Date | null;
  pending_expires_at: Date | null;
}

export type NewDevice = Pick<
  DeviceRow,
  'id' | 'serial_number' | 'account_id' | 'org_id' | 'type' | 'name' | 'secret_enc' | 'phone_enc' | 'created_at' | 'pending_expires_at'
>;

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

export function toDevice(row: DeviceRow): Device {
  return {
    serialNumber: row.serial_number,
    type: row.type,
    name: row.name,
    status: row.status,
    createdAt: iso(row.created_at)!,
    enabledAt: iso(row.enabled_at),
    lastUsedAt: iso(row.last_used_at),
  };
}

// a pending device past its TTL is gone for every purpose: listing, counting, enabling
export const live = (now: string) => `(status = 'active' OR (status = 'pending' AND pending_expires_at > ${now}))`;
const notExpired = (now: string) => `(status <> 'pending' OR pending_expires_at > ${now})`;

@Injectable()
export class DeviceRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The org of each account that has (or had) a device here: set from account-service when the device was made. */
  async orgsOf(accountIds: readonly string[]): Promise<Map<string, string>> {
    const found = await rows<{ account_id: string; org_id: string }>(
      this.dataSource,
      `SELECT DISTINCT ON (account_id) account_id, org_id FROM mfa.devices WHERE account_id = ANY($1::uuid[])`,
      [accountIds],
    );
    return new Map(found.map((r) => [r.account_id, r.org_id]));
  }

  /** Serializes device-set changes of one account (limit of 8, last-device rule) across instances. */
  async lockAccount(tx: Db, accountId: string): Promise<void> {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 7001))`, [accountId]);
  }

  async countLive(db: Db, accountId: string, now: Date): Promise<number> {
    const r = await one<{ n: number }>(db, `SELECT count(*)::int AS n FROM mfa.devices WHERE account_id = $1 AND ${live('$2')}`, [
      accountId,
      now,
    ]);
    return r?.n ?? 0;
  }

  async countActive(db: Db, accountId: string): Promise<number> {
    const r = await one<{ n: number }>(db, `SELECT count(*)::int AS n FROM mfa.devices WHERE account_id = $1 AND status = 'active'`, [
      accountId,
    ]);
    return r?.n ?? 0;
  }

  /** Active devices, and of those the secure ones (SecureMfaMethods: not SMS). */
  async countActiveByKind(db: Db, accountId: string): Promise<ActiveDeviceCounts> {
    const r = await one<ActiveDeviceCounts>(
      db,
      `SELECT count(*)::int AS active, (count(*) FILTER (WHERE type = ANY($2::text[])))::int AS secure
         FROM mfa.devices WHERE account_id = $1 AND status = 'active'`,
      [accountId, SecureMfaMethods],
    );
    return r ?? { active: 0, secure: 0 };
  }

  async insert(db: Db, d: NewDevice): Promise<DeviceRow> {
    return (await one<DeviceRow>(
      db,
      `INSERT INTO mfa.devices (id, serial_number, account_id, org_id, type, name, status, secret_enc, phone_enc, created_at, pending_expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $9, $10) RETURNING *`,
      [d.id, d.serial_number, d.account_id, d.org_id, d.type, d.name, d.secret_enc, d.phone_enc, d.created_at, d.pending_expires_at],
    ))!;
  }

  /** The account's device by serial number; an expired pending device is not found. */
  async findBySerial(db: Db, accountId: string, serialNumber: string, now: Date, orgId?: string): Promise<DeviceRow | null> {
    return one<DeviceRow>(
      db,
      `SELECT * FROM mfa.devices WHERE account_id = $1 AND serial_number = $2 AND ($4::uuid IS NULL OR org_id = $4)
         AND ${notExpired('$3')}`,
      [accountId, serialNumber, now, orgId ?? null],
    );
  }

  async listForAccount(accountId: string, now: Date): Promise<DeviceRow[]> {
    return rows<DeviceRow>(
      this.dataSource,
      `SELECT * FROM mfa.devices WHERE account_id = $1 AND ${notExpired('$2')} ORDER BY created_at, serial_number`,
      [accountId, now],
    );
  }

  /**
   * pending -> active, with the step of the enabling code as the last accepted step. The status
   * guard makes it a compare-and-set: of two concurrent enables exactly one wins.
   */
  async activate(db: Db, id: string, now: Date, lastStep: number | null): Promise<DeviceRow | null> {
    return one<DeviceRow>(
      db,
      `UPDATE mfa.devices SET status = 'active', enabled_at = $2, last_step = $3, pending_expires_at = NULL,
              sms_code_hash = NULL, sms_code_expires_at = NULL
        WHERE id = $1 AND status = 'pending' AND pending_expires_at > $2 RETURNING *`,
      [id, now, lastStep],
    );
  }

  /** SMS enable: the code hash must match and is consumed in the same statement (single use). */
  async activateWithSmsCode(db: Db, id: string, now: Date, codeHash: Buffer): Promise<DeviceRow | null> {
    return one<DeviceRow>(
      db,
      `UPDATE mfa.devices SET status = 'active', enabled_at = $2, pending_expires_at = NULL, sms_code_hash = NULL, sms_code_expires_at = NULL
        WHERE id = $1 AND status = 'pending' AND pending_expires_at > $2 AND sms_code_hash = $3 AND sms_code_expires_at > $2 RETURNING *`,
      [id, now, codeHash],
    );
  }

  /** Deactivates and wipes the secrets: a deactivated device can never verify again. */
  async deactivate(db: Db, id: string, now: Date): Promise<DeviceRow | null> {
    return one<DeviceRow>(
      db,
      `UPDATE mfa.devices SET status = 'deactivated', deactivated_at = $2, secret_enc = NULL, phone_enc = NULL,
              sms_code_hash = NULL, sms_code_expires_at = NULL, pending_expires_at = NULL
        WHERE id = $1 AND status <> 'deactivated' RETURNING *`,
      [id, now],
    );
  }

  /**
   * A removed member: every device of the account in that org retired with its secrets wiped,
   * and its recovery codes deleted, in one statement. Rows of another org are never touched.
   */
  async retireAccount(db: Db, orgId: string, accountId: string, now: Date): Promise<DeviceRow[]> {
    return rows<DeviceRow>(
      db,
      `WITH retired AS (
         UPDATE mfa.devices SET status = 'deactivated', deactivated_at = $3, secret_enc = NULL, phone_enc = NULL,
                sms_code_hash = NULL, sms_code_expires_at = NULL, pending_expires_at = NULL
          WHERE org_id = $1 AND account_id = $2 AND status <> 'deactivated' RETURNING *),
       -- runs although nothing reads it: Postgres always completes data-modifying CTEs
       codes AS (DELETE FROM mfa.recovery_codes WHERE org_id = $1 AND account_id = $2)
       SELECT * FROM retired`,
      [orgId, accountId, now],
    );
  }

  /**
   * Deletes up to `limit` pending devices that expired before `before` (their seed or phone
   * number with them). SKIP LOCKED: instances sweeping at once share the rows.
   */
  async deleteExpiredPending(before: Date, limit: number): Promise<number> {
    const count = await affected(
      this.dataSource,
      `DELETE FROM mfa.devices WHERE id IN (
         SELECT id FROM mfa.devices WHERE status = 'pending' AND pending_expires_at <= $1
          ORDER BY pending_expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
      [before, limit],
    );
    return count;
  }

  /** Resync: new drift and last step together, only forward (a replayed pair does nothing). */
  async setDrift(id: string, drift: number, step: number, now: Date): Promise<DeviceRow | null> {
    return one<DeviceRow>(
      this.dataSource,
      `UPDATE mfa.devices SET drift_steps = $2, last_step = $3, last_used_at = $4
        WHERE id = $1 AND status = 'active' AND (last_step IS NULL OR last_step < $3) RETURNING *`,
      [id, drift, step, now],
    );
  }

  /** A fresh SMS code, unless one was sent less than `resendSeconds` ago. */
  async storeSmsCode(id: string, codeHash: Buffer, expiresAt: Date, now: Date, resendSeconds: number): Promise<boolean> {
    const r = await one<{ id: string }>(
      this.dataSource,
      `UPDATE mfa.devices SET sms_code_hash = $2, sms_code_expires_at = $3, sms_sent_at = $4
        WHERE id = $1 AND status <> 'deactivated' AND (sms_sent_at IS NULL OR sms_sent_at <= $4::timestamptz - make_interval(secs => $5))
        RETURNING id`,
      [id, codeHash, expiresAt, now, resendSeconds],
    );
    return r !== null;
  }
}
