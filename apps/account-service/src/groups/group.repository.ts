import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type Db, rows } from '@mfa/database';
import type { GroupPolicyRow } from '../enforcement/group-policy.repository';

export interface GroupRow {
  id: string;
  org_id: string;
  name: string;
  created_at: Date;
  member_count: number;
  policy: GroupPolicyRow | null;
}

const GROUP_SELECT = `
  SELECT g.id, g.org_id, g.name, g.created_at,
         (SELECT count(*)::int FROM accounts.group_members gm WHERE gm.group_id = g.id) AS member_count,
         (SELECT row_to_json(gp) FROM accounts.group_policies gp WHERE gp.group_id = g.id) AS policy
    FROM accounts.groups g`;

/**
 * The member events of a membership change (docs/enforcement.md, "History with groups"): one row
 * per account of the CTE `from` (column account_id), with the account's facts then. Parameters: $1
 * the org, $2 the group, `at` the time.
 */
function recordMembership(from: string, kind: 'group_joined' | 'group_left', at = '$4'): string {
  return `INSERT INTO accounts.member_events
            (org_id, account_id, at, kind, ref, active_device_count, secure_active_device_count, grace_anchor_at, exempt_until)
          SELECT a.org_id, a.id, ${at}::timestamptz, '${kind}', $2::uuid::text, a.active_device_count, a.secure_active_device_count,
                 a.grace_anchor_at, a.exempt_until
            FROM ${from} x JOIN accounts.accounts a ON a.org_id = $1 AND a.id = x.account_id`;
}

/** Every query on accounts.groups and accounts.group_members. */
@Injectable()
export class GroupRepository {
  constructor(private readonly dataSource: DataSource) {}

  transaction<T>(work: (tx: Db) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /**
   * Serialized per org (advisory lock) so the limit holds under concurrent creates. 'limit': the
   * org has `max` groups already; 'exists': the name is taken in the org.
   */
  async create(orgId: string, name: string, max: number): Promise<GroupRow | 'limit' | 'exists'> {
    return this.dataSource.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended('accounts.groups:' || $1, 0))`, [orgId]);
      const [{ n }]: Array<{ n: number }> = await tx.query(`SELECT count(*)::int AS n FROM accounts.groups WHERE org_id = $1`, [orgId]);
      if (n >= max) return 'limit';
      const rows: Array<{ id: string }> = await tx.query(
        `INSERT INTO accounts.groups (org_id, name) VALUES ($1, $2) ON CONFLICT (org_id, name) DO NOTHING RETURNING id`,
        [orgId, name],
      );
      if (!rows[0]) return 'exists';
      return (await this.get(tx, orgId, rows[0].id))!;
    });
  }

  async get(db: Db, orgId: string, groupId: string): Promise<GroupRow | null> {
    const rows: GroupRow[] = await db.query(`${GROUP_SELECT} WHERE g.org_id = $1 AND g.id = $2`, [orgId, groupId]);
    return rows[0] ?? null;
  }

  find(orgId: string, groupId: string): Promise<GroupRow | null> {
    return this.get(this.dataSource, orgId, groupId);
  }

  /** One keyset page by id (`limit` rows as asked; callers ask one extra to see a next page). */
  page(orgId: string, afterId: string | null, limit: number): Promise<GroupRow[]> {
    return this.dataSource.query(`${GROUP_SELECT} WHERE g.org_id = $1 AND ($2::uuid IS NULL OR g.id > $2::uuid) ORDER BY g.id LIMIT $3`, [
      orgId,
      afterId,
      limit,
    ]);
  }

  /** Locks the org's memberships and the group row for a membership change or a delete; null when it is not this org's. */
  async lock(tx: Db, orgId: string, groupId: string): Promise<{ hasPolicy: boolean } | null> {
    // one membership change or delete at a time per org: two groups sharing members would
    // otherwise refresh the same accounts' snapshots in different orders and may deadlock
    await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended('accounts.group_members:' || $1, 0))`, [orgId]);
    const rows: Array<{ has_policy: boolean }> = await tx.query(
      `SELECT EXISTS (SELECT 1 FROM accounts.group_policies gp WHERE gp.group_id = g.id) AS has_policy
         FROM accounts.groups g WHERE g.org_id = $1 AND g.id = $2 FOR UPDATE`,
      [orgId, groupId],
    );
    return rows[0] ? { hasPolicy: rows[0].has_policy } : null;
  }

  /** Up to `limit` of `ids` that are not accounts of the org (another org's, or none at all). */
  async notInOrg(tx: Db, orgId: string, ids: string[], limit = 10): Promise<string[]> {
    const rows: Array<{ id: string }> = await tx.query(
      `SELECT x AS id FROM unnest($2::uuid[]) AS x
        WHERE NOT EXISTS (SELECT 1 FROM accounts.accounts a WHERE a.org_id = $1 AND a.id = x) LIMIT $3`,
      [orgId, ids, limit],
    );
    return rows.map((r) => r.id);
  }

  /**
   * Groups with a policy that some of `ids` already belong to and whose allowedMethods share none
   * with `methods` (this group's): adding those members would leave them with no allowed method.
   */
  async clashingGroupsOf(tx: Db, groupId: string, ids: string[], methods: string[]): Promise<string[]> {
    const found: Array<{ group_id: string }> = await tx.query(
      `SELECT DISTINCT gp.group_id FROM accounts.group_members gm JOIN accounts.group_policies gp ON gp.group_id = gm.group_id
        WHERE gm.account_id = ANY($2::uuid[]) AND gm.group_id <> $1 AND NOT (gp.allowed_methods && $3::text[])
        ORDER BY gp.group_id LIMIT 10`,
      [groupId, ids, methods],
    );
    return found.map((r) => r.group_id);
  }

  /**
   * Set-based; only accounts of the org (the FK on (org_id, account_id) says so too). Answers the ids
   * added. Each membership made is a `group_joined` member event at `at` (ref = the group id),
   * written by the same statement (one INSERT ... SELECT for the whole batch).
   */
  async addMembers(tx: Db, orgId: string, groupId: string, ids: string[], at: Date): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows: Array<{ account_id: string }> = await tx.query(
      `WITH added AS (
         INSERT INTO accounts.group_members (group_id, account_id, org_id)
         SELECT $2::uuid, a.id, a.org_id FROM accounts.accounts a WHERE a.org_id = $1 AND a.id = ANY($3::uuid[])
         ON CONFLICT DO NOTHING RETURNING account_id),
       recorded AS (${recordMembership('added', 'group_joined')})
       SELECT account_id FROM added`,
      [orgId, groupId, ids, at],
    );
    return rows.map((r) => r.account_id);
  }

  /** As addMembers: the memberships removed, each a `group_left` member event at `at`. */
  async removeMembers(tx: Db, orgId: string, groupId: string, ids: string[], at: Date): Promise<string[]> {
    if (ids.length === 0) return [];
    const deleted = await rows<{ account_id: string }>(
      tx,
      `WITH removed AS (
         DELETE FROM accounts.group_members WHERE org_id = $1 AND group_id = $2::uuid AND account_id = ANY($3::uuid[]) RETURNING account_id),
       recorded AS (${recordMembership('removed', 'group_left')})
       SELECT account_id FROM removed`,
      [orgId, groupId, ids, at],
    );
    return deleted.map((r) => r.account_id);
  }

  /** The group's policy first (so a refresh in between sees the group without it), then the group. */
  async deletePolicy(tx: Db, groupId: string): Promise<void> {
    await tx.query(`DELETE FROM accounts.group_policies WHERE group_id = $1`, [groupId]);
  }

  /** The group goes with its memberships (cascade); every member gets a `group_left` event at `at`, set-based. */
  async delete(tx: Db, orgId: string, groupId: string, at: Date): Promise<void> {
    await tx.query(
      `WITH removed AS (SELECT account_id FROM accounts.group_members WHERE org_id = $1 AND group_id = $2::uuid),
       recorded AS (${recordMembership('removed', 'group_left', '$3')})
       DELETE FROM accounts.groups WHERE org_id = $1 AND id = $2::uuid`,
      [orgId, groupId, at],
    );
  }
}
