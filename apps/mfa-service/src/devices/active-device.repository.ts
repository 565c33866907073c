import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { MfaMethod } from '@mfa/contracts';
import { preparedRows } from '../common/db';
import type { VerifyRow } from './active-device-cache';

// the verify read: each account's active devices with their org's allowed methods, and the lockout Postgres holds
const LOAD_SQL = `
  SELECT a.i, f.locked_until, f.failures AS stored_failures, d.id, d.serial_number, d.type, d.org_id, d.secret_enc, d.drift_steps, d.last_step,
         d.sms_code_hash, d.sms_code_expires_at, p.allowed_methods
    FROM unnest($1::uuid[]) WITH ORDINALITY AS a(account_id, i)
    LEFT JOIN mfa.account_failures f ON f.account_id = a.account_id
    LEFT JOIN mfa.devices d ON d.account_id = a.account_id AND d.status = 'active'
    LEFT JOIN mfa.org_policies p ON p.org_id = d.org_id
   ORDER BY a.i, d.last_used_at DESC NULLS LAST`;

/** The Postgres side of the device cache (ActiveDeviceCache): what a miss loads. */
@Injectable()
export class ActiveDeviceRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The rows of each account, in the order given (planned once per connection: the hot path's miss). */
  async rowsOf(accountIds: readonly string[]): Promise<VerifyRow[][]> {
    const found = await preparedRows<VerifyRow & { i: string }>(this.dataSource, 'mfa_verify_load', LOAD_SQL, [accountIds]);
    const byKey: VerifyRow[][] = accountIds.map(() => []);
    for (const { i, ...row } of found) byKey[Number(i) - 1].push(row);
    return byKey;
  }

  /** The org's allowed methods; null: it never pushed a policy (every method allowed). */
  async allowedMethods(orgId: string): Promise<MfaMethod[] | null> {
    const rows = await this.dataSource.query<{ allowed_methods: MfaMethod[] }[]>(
      `SELECT allowed_methods FROM mfa.org_policies WHERE org_id = $1`,
      [orgId],
    );
    return rows[0]?.allowed_methods ?? null;
  }
}
