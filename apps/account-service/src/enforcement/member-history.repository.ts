import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { defaultOrgPolicy, type OrgPolicyState } from './compute-enforcement';

/** A row of accounts.member_events: the account's facts after one change. */
export interface MemberEventRow {
  id: string;
  at: Date;
  kind:
    | 'history_started'
    | 'device_enabled'
    | 'device_removed'
    | 'device_reset'
    | 'exemption_set'
    | 'exemption_removed'
    | 'group_joined'
    | 'group_left';
  ref: string | null;
  active_device_count: number;
  secure_active_device_count: number;
  grace_anchor_at: Date | null;
  exempt_until: Date | null;
}

interface VersionRow {
  version: number;
  require_mfa: boolean;
  grace_period_hours: number;
  secure_methods_only: boolean;
  required_since: Date | null;
  at: Date;
}

/** A stored org policy version as the rule reads it (the fields the state depends on). */
function toPolicy(orgId: string, row: VersionRow): OrgPolicyState {
  return {
    ...defaultOrgPolicy(orgId),
    version: Number(row.version),
    requireMfa: !!row.require_mfa,
    gracePeriodHours: Number(row.grace_period_hours),
    secureMethodsOnly: !!row.secure_methods_only,
    requiredSince: row.required_since ? new Date(row.required_since) : null,
    updatedAt: new Date(row.at),
  };
}

/** The reads of a member's history: accounts.member_events and accounts.org_policy_versions. */
@Injectable()
export class MemberHistoryRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The account's creation time, null when it is not a member of this org. */
  async createdAt(orgId: string, accountId: string): Promise<Date | null> {
    const rows: Array<{ created_at: Date }> = await this.dataSource.query(
      `SELECT created_at FROM accounts.accounts WHERE id = $1 AND org_id = $2`,
      [accountId, orgId],
    );
    return rows[0] ? new Date(rows[0].created_at) : null;
  }

  /** The member's newest `limit` events, newest first (index member_events_account_idx). */
  async newestEvents(orgId: string, accountId: string, limit: number): Promise<MemberEventRow[]> {
    const rows: MemberEventRow[] = await this.dataSource.query(
      `SELECT id, at, kind, ref, active_device_count, secure_active_device_count, grace_anchor_at, exempt_until
         FROM accounts.member_events WHERE org_id = $1 AND account_id = $2
        ORDER BY at DESC, id DESC LIMIT $3`,
      [orgId, accountId, limit],
    );
    return rows.map((r) => ({ ...r, id: String(r.id), at: new Date(r.at) }));
  }

  /**
   * The org's versions after `since`, newest first (at most `limit`), and the one in force at
   * `since` (null: the org had none then, the default policy).
   */
  async versionsSince(orgId: string, since: Date, limit: number): Promise<{ after: OrgPolicyState[]; atStart: OrgPolicyState | null }> {
    const rows: Array<VersionRow & { after: boolean }> = await this.dataSource.query(
      `(SELECT true AS after, version, require_mfa, grace_period_hours, secure_methods_only, required_since, at
          FROM accounts.org_policy_versions WHERE org_id = $1 AND at > $2 ORDER BY at DESC, version DESC LIMIT $3)
       UNION ALL
       (SELECT false, version, require_mfa, grace_period_hours, secure_methods_only, required_since, at
          FROM accounts.org_policy_versions WHERE org_id = $1 AND at <= $2 ORDER BY at DESC, version DESC LIMIT 1)`,
      [orgId, since, limit],
    );
    const before = rows.find((r) => !r.after);
    return { after: rows.filter((r) => r.after).map((r) => toPolicy(orgId, r)), atStart: before ? toPolicy(orgId, before) : null };
  }
}
