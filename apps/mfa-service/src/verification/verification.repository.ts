import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { MfaMethod } from '@mfa/contracts';
import { one, rows } from '../common/db';

/** One row per active device (or one all-null row when there is none), with lock and policy. */
export interface VerifyRow {
  locked_until: Date | null;
  id: string | null;
  serial_number: string | null;
  type: MfaMethod | null;
  org_id: string | null;
  secret_enc: string | null;
  drift_steps: number | null;
  last_step: string | null;
  sms_code_hash: Buffer | null;
  sms_code_expires_at: Date | null;
  /** null: the org never pushed a policy, the default allows every method */
  allowed_methods: MfaMethod[] | null;
}

// A code evaluated while a lockout began in a concurrent request is refused when it is written,
// so a flood of guesses gets no more than MFA_MAX_FAILURES chances per lockout period.
const NOT_LOCKED = `NOT EXISTS (SELECT 1 FROM mfa.account_failures WHERE account_id = $4 AND locked_until > $3)`;

// Deletes the failure count on success, unless a lockout is in force (a lockout runs its course).
const RESET_FAILURES = `reset AS (
  DELETE FROM mfa.account_failures WHERE account_id = $4 AND EXISTS (SELECT 1 FROM upd) AND (locked_until IS NULL OR locked_until <= $3))`;

/** The queries of the verification hot path: one read, then one compare-and-set on success. */
@Injectable()
export class VerificationRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Lockout, active devices (optionally one serial) and the org's allowed methods in one round trip. */
  load(accountId: string, serialNumber: string | null, now: Date): Promise<VerifyRow[]> {
    return rows<VerifyRow>(
      this.dataSource,
      `SELECT f.locked_until, d.id, d.serial_number, d.type, d.org_id, d.secret_enc, d.drift_steps, d.last_step,
              d.sms_code_hash, d.sms_code_expires_at, p.allowed_methods
         FROM (SELECT $1::uuid AS account_id) a
         LEFT JOIN mfa.account_failures f ON f.account_id = a.account_id AND f.locked_until > $3
         LEFT JOIN mfa.devices d ON d.account_id = a.account_id AND d.status = 'active' AND ($2::text IS NULL OR d.serial_number = $2)
         LEFT JOIN mfa.org_policies p ON p.org_id = d.org_id
        ORDER BY d.last_used_at DESC NULLS LAST`,
      [accountId, serialNumber, now],
    );
  }

  /**
   * Replay protection: the step is accepted only if it is after the last accepted one. Postgres
   * row locking makes this exact across instances: of N identical concurrent codes one wins.
   */
  async acceptTotpStep(deviceId: string, accountId: string, step: number, now: Date): Promise<boolean> {
    const r = await one<{ n: number }>(
      this.dataSource,
      `WITH upd AS (
         UPDATE mfa.devices SET last_step = $2, last_used_at = $3
          WHERE id = $1 AND status = 'active' AND (last_step IS NULL OR last_step < $2) AND ${NOT_LOCKED} RETURNING id),
       ${RESET_FAILURES}
       SELECT count(*)::int AS n FROM upd`,
      [deviceId, step, now, accountId],
    );
    return (r?.n ?? 0) === 1;
  }

  /** An SMS code is single use: the hash is cleared by the statement that accepts it. */
  async consumeSmsCode(deviceId: string, codeHash: Buffer, now: Date, accountId: string): Promise<boolean> {
    const r = await one<{ n: number }>(
      this.dataSource,
      `WITH upd AS (
         UPDATE mfa.devices SET sms_code_hash = NULL, sms_code_expires_at = NULL, last_used_at = $3
          WHERE id = $1 AND status = 'active' AND sms_code_hash = $2 AND sms_code_expires_at > $3 AND ${NOT_LOCKED} RETURNING id),
       ${RESET_FAILURES}
       SELECT count(*)::int AS n FROM upd`,
      [deviceId, codeHash, now, accountId],
    );
    return (r?.n ?? 0) === 1;
  }
}
