import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { defaultOrgPolicy, type OrgPolicyState } from './compute-enforcement';
import type { GroupPolicyState } from './effective-enforcement';

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

interface GroupVersionRow extends VersionRow {
  group_id: string;
}

/**
 * A stored group policy version as the rule reads it. The history's replay needs only what the
 * state depends on (required, grace, secure only, requiredSince); allowedMethods and the age are
 * not kept per version (the wide default: the intersection never narrows a state).
 */
function toGroupPolicy(orgId: string, row: GroupVersionRow): GroupPolicyState {
  return { ...toPolicy(orgId, row), groupId: row.group_id };
}

const GROUP_VERSION_COLUMNS = 'group_id, version, require_mfa, grace_period_hours, secure_methods_only, required_since, at';

/**
 * The reads of a member's history: accounts.member_events, accounts.org_policy_versions,
 * accounts.group_policy_versions and the member's current groups (accounts.group_members).
 */
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

  /** The groups the member belongs to now (index group_members_account_idx). */
  async currentGroups(orgId: string, accountId: string): Promise<string[]> {
    const rows: Array<{ group_id: string }> = await this.dataSource.query(
      `SELECT group_id FROM accounts.group_members WHERE account_id = $1 AND org_id = $2`,
      [accountId, orgId],
    );
    return rows.map((r) => r.group_id);
  }

  /** For each of `groupIds`, its version in force at `at` (none: the group had no policy then). */
  async groupVersionsAt(orgId: string, groupIds: string[], at: Date): Promise<GroupPolicyState[]> {
    if (groupIds.length === 0) return [];
    const rows: GroupVersionRow[] = await this.dataSource.query(
      `SELECT v.* FROM unnest($2::uuid[]) AS g(id)
         CROSS JOIN LATERAL (SELECT ${GROUP_VERSION_COLUMNS} FROM accounts.group_policy_versions
                              WHERE group_id = g.id AND org_id = $1 AND at <= $3 ORDER BY at DESC, version DESC LIMIT 1) v`,
      [orgId, groupIds, at],
    );
    return rows.map((r) => toGroupPolicy(orgId, r));
  }

  /** The versions of `groupIds` after `since`, newest first, at most `limit` in all (index group_policy_versions_at_idx). */
  async groupVersionsAfter(orgId: string, groupIds: string[], since: Date, limit: number): Promise<GroupPolicyState[]> {
    if (groupIds.length === 0) return [];
    const rows: GroupVersionRow[] = await this.dataSource.query(
      `SELECT ${GROUP_VERSION_COLUMNS} FROM accounts.group_policy_versions
        WHERE group_id = ANY($2::uuid[]) AND org_id = $1 AND at > $3 ORDER BY at DESC, version DESC LIMIT $4`,
      [orgId, groupIds, since, limit],
    );
    return rows.map((r) => toGroupPolicy(orgId, r));
  }
}
