import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type MfaMethod, SecureMfaMethods } from '@mfa/contracts';
import { rows } from '../common/db';
import { live } from './device.repository';

export interface AccountDeviceSummaryRow {
  account_id: string;
  active_count: number;
  secure_active_count: number;
  device_count: number;
  last_used_at: Date | null;
}

/** Set-based figures for org-service and account-service (one statement per question). */
@Injectable()
export class DeviceSummaryRepository {
  constructor(private readonly dataSource: DataSource) {}

  activeByType(orgId: string): Promise<Array<{ type: MfaMethod; n: number }>> {
    return rows(this.dataSource, `SELECT type, count(*)::int AS n FROM mfa.devices WHERE org_id = $1 AND status = 'active' GROUP BY type`, [
      orgId,
    ]);
  }

  /** Members whose active devices are all SMS (what secureMethodsOnly does not count). */
  async onlySmsCount(orgId: string): Promise<number> {
    const [r] = await rows<{ n: number }>(
      this.dataSource,
      `SELECT count(*)::int AS n FROM (
         SELECT account_id FROM mfa.devices WHERE org_id = $1 AND status = 'active'
          GROUP BY account_id HAVING bool_and(NOT (type = ANY($2::text[])))) s`,
      [orgId, SecureMfaMethods],
    );
    return r?.n ?? 0;
  }

  /** deviceCount: active and unexpired pending devices (what counts toward the 8). */
  perAccount(accountIds: string[], orgId: string | null, now: Date): Promise<AccountDeviceSummaryRow[]> {
    return rows(
      this.dataSource,
      `SELECT account_id,
              count(*) FILTER (WHERE status = 'active')::int AS active_count,
              count(*) FILTER (WHERE status = 'active' AND type = ANY($4::text[]))::int AS secure_active_count,
              count(*) FILTER (WHERE ${live('$3')})::int AS device_count,
              max(last_used_at) AS last_used_at
         FROM mfa.devices
        WHERE account_id = ANY($1::uuid[]) AND ($2::uuid IS NULL OR org_id = $2)
        GROUP BY account_id`,
      [accountIds, orgId, now, SecureMfaMethods],
    );
  }
}
