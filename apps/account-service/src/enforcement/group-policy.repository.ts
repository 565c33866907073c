import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DEFAULT_ALLOWED_METHODS, type MfaCondition, type MfaMethod, type MfaPolicy } from '@mfa/contracts';
import type { Db } from '@mfa/database';
import type { GroupPolicyState } from './effective-enforcement';
import { NEWER_POLICY_UPDATE } from './org-policy.repository';

/** A group policy as the json of memberGroupPoliciesSql (and a row of accounts.group_policies). */
export interface GroupPolicyRow {
  group_id: string;
  org_id?: string;
  version: number;
  require_mfa: boolean;
  grace_period_hours: number;
  allowed_methods: MfaMethod[];
  max_mfa_age_seconds: number | null;
  secure_methods_only: boolean;
  conditions?: MfaCondition[] | null;
  required_since: Date | string | null;
  policy_updated_at: Date | string | null;
}

const GROUP_POLICY_COLUMNS =
  'group_id, org_id, version, require_mfa, grace_period_hours, allowed_methods, max_mfa_age_seconds, secure_methods_only, conditions, required_since, policy_updated_at';

/**
 * The policies of member `a`'s groups as one json array (NULL: none), for the reads that map a
 * member in TypeScript (accounts.get, accounts.authorize, member pages). `has` is the org's flag:
 * without group policies the subquery never runs, so those reads cost what they did before groups.
 */
export function memberGroupPoliciesSql(has: string, a = 'a'): string {
  return `(CASE WHEN ${has} IS TRUE THEN (
     SELECT json_agg(json_build_object('group_id', gp.group_id, 'version', gp.version, 'require_mfa', gp.require_mfa,
              'grace_period_hours', gp.grace_period_hours, 'allowed_methods', gp.allowed_methods,
              'max_mfa_age_seconds', gp.max_mfa_age_seconds, 'secure_methods_only', gp.secure_methods_only, 'conditions', gp.conditions,
              'required_since', gp.required_since, 'policy_updated_at', gp.policy_updated_at) ORDER BY gp.group_id)
       FROM accounts.group_members gm JOIN accounts.group_policies gp ON gp.group_id = gm.group_id
      WHERE gm.account_id = ${a}.id) END)`;
}

export function toGroupPolicyState(orgId: string, row: GroupPolicyRow): GroupPolicyState {
  return {
    orgId,
    groupId: row.group_id,
    version: Number(row.version),
    requireMfa: !!row.require_mfa,
    gracePeriodHours: Number(row.grace_period_hours),
    allowedMethods: row.allowed_methods,
    maxMfaAgeSeconds: row.max_mfa_age_seconds ?? null,
    secureMethodsOnly: !!row.secure_methods_only,
    conditions: row.conditions ?? [],
    requiredSince: row.required_since ? new Date(row.required_since) : null,
    updatedAt: row.policy_updated_at ? new Date(row.policy_updated_at) : null,
  };
}

export function toGroupPolicyStates(orgId: string, rows: GroupPolicyRow[] | null | undefined): GroupPolicyState[] {
  return (rows ?? []).map((r) => toGroupPolicyState(orgId, r));
}

/** The wire shape of a group's policy (versions count per group). */
export function toWireGroupPolicy(p: GroupPolicyState): MfaPolicy {
  return {
    orgId: p.orgId,
    groupId: p.groupId,
    version: p.version,
    requireMfa: p.requireMfa,
    gracePeriodHours: p.gracePeriodHours,
    allowedMethods: p.allowedMethods,
    maxMfaAgeSeconds: p.maxMfaAgeSeconds,
    secureMethodsOnly: p.secureMethodsOnly,
    conditions: p.conditions,
    updatedAt: p.updatedAt ? p.updatedAt.toISOString() : null,
  };
}

/** Every query on accounts.group_policies (and the per-org flag org_policies.has_group_policies). */
@Injectable()
export class GroupPolicyRepository {
  constructor(private readonly dataSource: DataSource) {}

  async get(orgId: string, groupId: string): Promise<GroupPolicyState | null> {
    const rows: GroupPolicyRow[] = await this.dataSource.query(
      `SELECT ${GROUP_POLICY_COLUMNS} FROM accounts.group_policies WHERE group_id = $1 AND org_id = $2`,
      [groupId, orgId],
    );
    return rows[0] ? toGroupPolicyState(orgId, rows[0]) : null;
  }

  async memberCount(groupId: string): Promise<number> {
    const [{ n }]: Array<{ n: number }> = await this.dataSource.query(
      `SELECT count(*)::int AS n FROM accounts.group_members WHERE group_id = $1`,
      [groupId],
    );
    return n;
  }

  /**
   * As OrgPolicyRepository.applyIfNewer, for a group: never goes back a version; requiredSince
   * kept while the group's policy stays required. Also raises the org's flag (creating the org's
   * row at version 0, the default policy, when the org never had one). Null: the group is gone.
   */
  async applyIfNewer(policy: MfaPolicy & { groupId: string }): Promise<{ changed: boolean; policy: GroupPolicyState } | null> {
    const at = policy.updatedAt ?? new Date().toISOString();
    return this.dataSource.transaction(async (tx) => {
      // the stored version is also ONE group-level row of group_policy_versions, in the same statement
      // (the history merges it into the members of the group at that time on read: no per-member write)
      const rows: GroupPolicyRow[] = await tx.query(
        `WITH stored AS (
         INSERT INTO accounts.group_policies AS o
           (group_id, org_id, version, require_mfa, grace_period_hours, allowed_methods, max_mfa_age_seconds, secure_methods_only,
            conditions, required_since, policy_updated_at, updated_at)
         SELECT g.id, g.org_id, $3, $4, $5, $6::text[], $7, $8, $10::jsonb, CASE WHEN $4 THEN $9::timestamptz END, $9::timestamptz, now()
           FROM accounts.groups g WHERE g.id = $1 AND g.org_id = $2
         ON CONFLICT (group_id) DO UPDATE SET ${NEWER_POLICY_UPDATE}
         RETURNING ${GROUP_POLICY_COLUMNS}),
         versioned AS (
         INSERT INTO accounts.group_policy_versions
           (org_id, group_id, version, require_mfa, grace_period_hours, secure_methods_only, required_since, at)
         SELECT org_id, group_id, version, require_mfa, grace_period_hours, secure_methods_only, required_since, policy_updated_at FROM stored
         ON CONFLICT (group_id, version) DO NOTHING)
         SELECT ${GROUP_POLICY_COLUMNS} FROM stored`,
        [
          policy.groupId,
          policy.orgId,
          policy.version,
          policy.requireMfa,
          policy.gracePeriodHours,
          policy.allowedMethods,
          policy.maxMfaAgeSeconds,
          policy.secureMethodsOnly ?? false,
          at,
          // a hand-over without conditions: none
          JSON.stringify(policy.conditions ?? []),
        ],
      );
      if (rows[0]) {
        await this.raiseOrgFlag(tx, policy.orgId);
        return { changed: true, policy: toGroupPolicyState(policy.orgId, rows[0]) };
      }
      const [current]: GroupPolicyRow[] = await tx.query(
        `SELECT ${GROUP_POLICY_COLUMNS} FROM accounts.group_policies WHERE group_id = $1`,
        [policy.groupId],
      );
      return current ? { changed: false, policy: toGroupPolicyState(policy.orgId, current) } : null;
    });
  }

  /** The org's row at version 0 (= defaultPolicy) when it has none yet, flag raised. */
  private async raiseOrgFlag(tx: Db, orgId: string): Promise<void> {
    await tx.query(
      `INSERT INTO accounts.org_policies (org_id, version, require_mfa, grace_period_hours, allowed_methods, max_mfa_age_seconds, has_group_policies)
       VALUES ($1, 0, false, 0, $2::text[], NULL, true)
       ON CONFLICT (org_id) DO UPDATE SET has_group_policies = true WHERE NOT accounts.org_policies.has_group_policies`,
      [orgId, DEFAULT_ALLOWED_METHODS],
    );
  }

  /**
   * After a group (and its policy) is gone: the flag follows what is left. The row is locked by a
   * statement of its own first, so the EXISTS below runs on a snapshot taken after the lock: a
   * group policy applied concurrently (its raiseOrgFlag holds the lock until it commits) is seen.
   * In one statement the snapshot predated the wait, and the flag went false under a committed
   * group policy, switching every group policy of the org off (groups-attack.e2e-spec.ts).
   */
  async refreshOrgFlag(tx: Db, orgId: string): Promise<void> {
    await tx.query(`SELECT 1 FROM accounts.org_policies WHERE org_id = $1 FOR UPDATE`, [orgId]);
    await tx.query(
      `UPDATE accounts.org_policies SET has_group_policies = EXISTS (SELECT 1 FROM accounts.group_policies WHERE org_id = $1)
        WHERE org_id = $1`,
      [orgId],
    );
  }

  /**
   * The group half of the empty-intersection check (docs/enforcement.md, "Groups"): the group
   * policies `methods` would meet in at least one member and that share no method with it. For a
   * group's policy: every other group sharing a member with it; for the org's (groupId null): every
   * group policy that applies to at least one member. Set-based; the org half is the service's.
   */
  async conflictingGroups(orgId: string, groupId: string | null, methods: MfaMethod[]): Promise<string[]> {
    const rows: Array<{ group_id: string }> = await this.dataSource.query(
      `SELECT gp.group_id FROM accounts.group_policies gp
        WHERE gp.org_id = $1 AND gp.group_id IS DISTINCT FROM $2::uuid AND NOT (gp.allowed_methods && $3::text[])
          AND EXISTS (SELECT 1 FROM accounts.group_members gm
                       WHERE gm.group_id = gp.group_id
                         AND ($2::uuid IS NULL OR EXISTS (SELECT 1 FROM accounts.group_members mine
                                                           WHERE mine.group_id = $2::uuid AND mine.account_id = gm.account_id)))
        ORDER BY gp.group_id LIMIT 10`,
      [orgId, groupId, methods],
    );
    return rows.map((r) => r.group_id);
  }
}
