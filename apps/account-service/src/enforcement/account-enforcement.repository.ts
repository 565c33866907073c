import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { isUuid } from '@mfa/contracts';
import type { AccountEnforcementFacts, OrgPolicyState } from './compute-enforcement';
import type { GroupPolicyState } from './effective-enforcement';
import { POLICY_JOIN } from './enforcement.sql';
import { type GroupPolicyRow, memberGroupPoliciesSql, toGroupPolicyStates } from './group-policy.repository';
import { JOINED_POLICY_COLUMNS, type OrgPolicyRow, toOrgPolicyState } from './org-policy.repository';

/** The account columns the enforcement rule reads, plus the org's policy joined to it. */
export interface AccountWithPolicy {
  accountId: string;
  orgId: string;
  facts: AccountEnforcementFacts;
  policy: OrgPolicyState;
  /** the policies of the account's groups (empty when its org has no group policy) */
  groupPolicies: GroupPolicyState[];
  /** the latest revocation covering the token's device (or every token): older tokens are refused */
  sessionsRevokedBefore: Date | null;
}

interface FactsRow extends Partial<OrgPolicyRow> {
  id: string;
  account_org_id: string;
  created_at: Date;
  active_device_count: number;
  secure_active_device_count: number;
  grace_anchor_at: Date | null;
  exempt_until: Date | null;
  exempt_reason: string | null;
  sessions_revoked_before: Date | null;
  group_policies: GroupPolicyRow[] | null;
}

/** Facts columns of `accounts a`, for any query that maps a member. */
export const FACTS_COLUMNS =
  'a.created_at, a.active_device_count, a.secure_active_device_count, a.grace_anchor_at, a.exempt_until, a.exempt_reason';

export function toFacts(row: {
  created_at: Date;
  active_device_count: number;
  secure_active_device_count?: number;
  grace_anchor_at: Date | null;
  exempt_until: Date | null;
  exempt_reason: string | null;
}): AccountEnforcementFacts {
  return {
    createdAt: new Date(row.created_at),
    activeDeviceCount: Number(row.active_device_count ?? 0),
    secureActiveDeviceCount: Number(row.secure_active_device_count ?? 0),
    graceAnchorAt: row.grace_anchor_at ? new Date(row.grace_anchor_at) : null,
    exemptUntil: row.exempt_until ? new Date(row.exempt_until) : null,
    exemptReason: row.exempt_reason ?? null,
  };
}

/** Active devices after a change, and of those the secure ones (absent from an older producer). */
export interface DeviceCounts {
  active: number;
  secure?: number;
}

/**
 * The secure count to store, from the parameters of the total and of the secure count (or NULL):
 * never above the total; when the producer did not send it, the stored figure, capped the same way.
 */
function secureCount(total: string, secure: string): string {
  return `LEAST(${total}::int, COALESCE(${secure}::int, secure_active_device_count))`;
}

/** What a device event records in the member's history (docs/enforcement.md, "History"). */
export type DeviceEventKind = 'device_enabled' | 'device_removed' | 'device_reset';

/** The facts of a changed account row (`changed`), as a member event stores them. */
const CHANGED_FACTS = 'org_id, id, active_device_count, secure_active_device_count, grace_anchor_at, exempt_until';

/**
 * The member event of the rows of a `changed` CTE (0 or 1): written by the statement that made
 * the change, so the history never misses a fact nor holds one that was rolled back.
 */
function recordMemberEvent(at: string, kind: string, ref: string): string {
  return `INSERT INTO accounts.member_events
            (org_id, account_id, at, kind, ref, active_device_count, secure_active_device_count, grace_anchor_at, exempt_until)
          SELECT org_id, id, ${at}::timestamptz, ${kind}::text, ${ref}, active_device_count, secure_active_device_count, grace_anchor_at, exempt_until
            FROM changed`;
}

/** Queries on the enforcement columns of accounts.accounts (the member columns belong to members/). */
@Injectable()
export class AccountEnforcementRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * One round trip: the account's facts, its org's current policy, its groups' policies (a subquery
   * behind the org's flag: nothing for an org without group policies) and the revocation that covers
   * a token issued from `tokenDevice` (null: account-wide revocations only). Null for an unknown id.
   * The policy's conditions (up to 20 x 20 patterns) only `withConditions` (a request naming an
   * action); without, `policy.conditions` is [] (no condition can apply to a request without one).
   */
  async findWithPolicy(
    accountId: string,
    orgId?: string,
    tokenDevice: string | null = null,
    withConditions = false,
  ): Promise<AccountWithPolicy | null> {
    if (!isUuid(accountId) || (orgId !== undefined && !isUuid(orgId))) return null;
    const rows: FactsRow[] = await this.dataSource.query(
      `SELECT a.id, a.org_id AS account_org_id, ${FACTS_COLUMNS}, ${JOINED_POLICY_COLUMNS}${withConditions ? ', p.conditions' : ''},
              ${memberGroupPoliciesSql('p.has_group_policies')} AS group_policies,
              (SELECT max(r.revoked_before) FROM accounts.session_revocations r
                WHERE r.account_id = a.id AND r.serial_number IN ('', $3::text)) AS sessions_revoked_before
         FROM ${POLICY_JOIN}
        WHERE a.id = $1 AND ($2::uuid IS NULL OR a.org_id = $2::uuid)`,
      [accountId, orgId ?? null, tokenDevice],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      accountId: row.id,
      orgId: row.account_org_id,
      facts: toFacts(row),
      policy: toOrgPolicyState(row.account_org_id, row),
      groupPolicies: toGroupPolicyStates(row.account_org_id, row.group_policies),
      sessionsRevokedBefore: row.sessions_revoked_before ? new Date(row.sessions_revoked_before) : null,
    };
  }

  /** False when the account is not in the org. Recorded as a member event at `at` in the same statement. */
  async setExemption(orgId: string, accountId: string, until: Date | null, reason: string | null, at: Date): Promise<boolean> {
    const rows: Array<{ n: number }> = await this.dataSource.query(
      `WITH changed AS (
         UPDATE accounts.accounts SET exempt_until = $3, exempt_reason = $4 WHERE id = $1 AND org_id = $2
         RETURNING ${CHANGED_FACTS}),
       recorded AS (${recordMemberEvent('$5', '$6', 'NULL')})
       SELECT count(*)::int AS n FROM changed`,
      [accountId, orgId, until, reason, at, until ? 'exemption_set' : 'exemption_removed'],
    );
    return rows[0].n > 0;
  }

  /**
   * An admin reset: the count from mfa-service unless a newer device event already landed; the
   * last device gone restarts the grace period from the reset (never silently compliant).
   */
  async applyDeviceReset(
    orgId: string,
    accountId: string,
    counts: DeviceCounts,
    at: Date,
    serialNumber: string | null = null,
  ): Promise<boolean> {
    const rows: Array<{ n: number }> = await this.dataSource.query(
      `WITH changed AS (
       UPDATE accounts.accounts SET
         active_device_count = CASE WHEN device_event_at IS NULL OR device_event_at <= $4 THEN $3 ELSE active_device_count END,
         secure_active_device_count = CASE WHEN device_event_at IS NULL OR device_event_at <= $4
                                           THEN ${secureCount('$3', '$5')} ELSE secure_active_device_count END,
         device_event_at = GREATEST(device_event_at, $4),
         grace_anchor_at = CASE WHEN $3 = 0 THEN LEAST($4, now()) ELSE grace_anchor_at END
       WHERE id = $1 AND org_id = $2
       RETURNING ${CHANGED_FACTS}),
       recorded AS (${recordMemberEvent('$4', "'device_reset'", '$6::text')})
       SELECT count(*)::int AS n FROM changed`,
      [accountId, orgId, counts.active, at, counts.secure ?? null, serialNumber],
    );
    return rows[0].n > 0;
  }

  /**
   * A device event: applied only when not older than the last one applied (out-of-order safe),
   * and then recorded as a member event (`kind`) in the same statement.
   */
  async applyDeviceEvent(
    accountId: string,
    counts: DeviceCounts,
    at: Date,
    event: { kind: DeviceEventKind; serialNumber: string | null } = { kind: 'device_enabled', serialNumber: null },
  ): Promise<boolean> {
    if (!isUuid(accountId)) return false;
    const rows: Array<{ n: number }> = await this.dataSource.query(
      `WITH changed AS (
         UPDATE accounts.accounts SET active_device_count = $2, secure_active_device_count = ${secureCount('$2', '$4')}, device_event_at = $3
          WHERE id = $1 AND (device_event_at IS NULL OR device_event_at <= $3)
          RETURNING ${CHANGED_FACTS}),
       recorded AS (${recordMemberEvent('$3', '$5', '$6::text')})
       SELECT count(*)::int AS n FROM changed`,
      [accountId, counts.active, at, counts.secure ?? null, event.kind, event.serialNumber],
    );
    return rows[0].n > 0;
  }

  async countOrg(orgId: string): Promise<number> {
    const rows: Array<{ n: number }> = await this.dataSource.query(`SELECT count(*)::int AS n FROM accounts.accounts WHERE org_id = $1`, [
      orgId,
    ]);
    return rows[0].n;
  }
}
