import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { OrgPolicyState } from './compute-enforcement';
import type { Db } from '@mfa/database';
import { effectiveDeadlineSql, effectiveRequiredSinceSql, enforcementStateSql, JOINED_POLICY, type PolicyExprs } from './enforcement.sql';

export interface ChunkResult {
  /** accounts in the chunk (already at the version or not) */
  scanned: number;
  /** accounts this statement moved to the version */
  updated: number;
  lastId: string | null;
  /** moved from "not required" to pending/non_compliant: they get a notice */
  newlyRequired: string[];
}

/** Bound parameters of the policy in every materializing statement: $4..$8. */
const P: PolicyExprs = {
  requireMfa: '$5::boolean',
  requiredSince: '$6::timestamptz',
  gracePeriodHours: '$7::int',
  secureMethodsOnly: '$8::boolean',
};
/** The same, for an org with group policies: the member's group policies are read too. */
const P_GROUPS: PolicyExprs = { ...P, hasGroupPolicies: 'true' };

/**
 * The SET list of a materialization (snapshot of the rule at the time of writing). Shared with
 * bench/rollout.ts so the chunked walk and the raw single UPDATE write exactly the same thing.
 */
function materializeSet(p: PolicyExprs): string {
  return `
    policy_version = $4,
    required_since = ${effectiveRequiredSinceSql(p)},
    grace_deadline = ${effectiveDeadlineSql(p)},
    enforcement_state = ${enforcementStateSql(p)}`;
}
/** For an org without group policies: the statement as it was before groups (no group term at all). */
export const MATERIALIZE_SET = materializeSet(P);
export const MATERIALIZE_SET_GROUPS = materializeSet(P_GROUPS);

export function policyParams(policy: OrgPolicyState): unknown[] {
  return [policy.version, policy.requireMfa, policy.requiredSince, policy.gracePeriodHours, policy.secureMethodsOnly];
}

// One statement per chunk, two steps and no join:
// - `old`: the next `limit` accounts of the org in primary-key order, read once (their row
//   address, whether they are behind the version, whether they become newly required). The
//   cursor is a row comparison `(org_id, id) > (org, after)` bounded by `org_id <= org`, ordered
//   by (org_id, id): only the primary key gives that order and bounds, so the walk reads the
//   org's entries and nothing else. Before, `org_id = $1 AND id > $2 ORDER BY id` let the
//   planner walk accounts_id_idx with an org filter, reading every row of the other orgs whose
//   ids fall in between (all of them, for a new org, on its first chunk).
// - the UPDATE of those rows by address (a TID scan in page order: no index probe per row, which
//   is what joining the ids back cost). The newly required are read from the OLD rows: the rule
//   reads no column the UPDATE sets, so the state `old` computes is the one written.
// A row a concurrent update moved (a device event) is no longer at its address: the UPDATE skips
// it (its recheck fails), so `updated < behind`: the statement then names only the newly required
// it wrote, and materializeChunk runs the chunk again, which only touches what is still behind.
// Rows already at the version are skipped, so a re-run after a crash is cheap and harmless. No column it sets is indexed, so with room on the page (fillfactor
// 50) each row is a HOT update (migration RolloutHotUpdates1797652000000). Each chunk commits
// without waiting for its WAL flush (`synchronous_commit` off for its own transaction, set by the
// statement itself): a chunk lost in a crash leaves its rows behind the version, which the next
// walk or the reconciliation rewrites (and its notices are written once, by their unique key).
const chunkSql = (p: PolicyExprs) => `
  WITH async_commit AS MATERIALIZED (SELECT set_config('synchronous_commit', 'off', true)),
  old AS MATERIALIZED (
    SELECT a.ctid AS at, a.id, a.policy_version < $4 AS behind,
           (a.policy_version < $4 AND a.required_since IS NULL
            AND ${enforcementStateSql(p)} IN ('pending', 'non_compliant')) AS newly
      FROM accounts.accounts a
     WHERE (a.org_id, a.id) > ($1, $2::uuid) AND a.org_id <= $1
     ORDER BY a.org_id, a.id LIMIT $3
  ), u AS (
    UPDATE accounts.accounts a SET ${materializeSet(p)}
     WHERE a.ctid = ANY (ARRAY(SELECT at FROM old WHERE behind)) AND a.org_id = $1 AND a.policy_version < $4
    RETURNING a.id
  )
  SELECT (SELECT count(*)::int FROM old) AS scanned,
         (SELECT id FROM old ORDER BY id DESC LIMIT 1) AS last_id,
         n.behind, n.updated,
         -- when the UPDATE skipped some row, only those it wrote are named (the next run names the rest)
         CASE WHEN n.updated = n.behind THEN (SELECT coalesce(array_agg(id::text), '{}') FROM old WHERE newly)
              ELSE (SELECT coalesce(array_agg(old.id::text), '{}') FROM old JOIN u ON u.id = old.id WHERE old.newly) END AS newly_required,
         (SELECT count(*)::int FROM async_commit) AS async_commit
    FROM (SELECT (SELECT count(*)::int FROM old WHERE behind) AS behind, (SELECT count(*)::int FROM u) AS updated) n`;
const CHUNK_SQL = chunkSql(P);
const CHUNK_SQL_GROUPS = chunkSql(P_GROUPS);

/** Runs of a chunk whose rows concurrent updates keep moving, before the walk goes on anyway. */
const CHUNK_ATTEMPTS = 3;

@Injectable()
export class RolloutMaterializerRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * The `limit` accounts of the org after `after`, brought to the policy's version. Run again
   * while some row it had to update was moved meanwhile (at most CHUNK_ATTEMPTS; a row left
   * behind after that is the reconciliation's).
   */
  async materializeChunk(orgId: string, policy: OrgPolicyState, after: string, limit: number): Promise<ChunkResult> {
    let newlyRequired: string[] = [];
    let updated = 0;
    for (let attempt = 1; ; attempt++) {
      const [r]: Array<{ scanned: number; last_id: string | null; behind: number; updated: number; newly_required: string[] }> =
        await this.dataSource.query(policy.hasGroupPolicies ? CHUNK_SQL_GROUPS : CHUNK_SQL, [orgId, after, limit, ...policyParams(policy)]);
      updated += r.updated;
      // each run names only rows it wrote, which the next run skips: no one twice
      newlyRequired = newlyRequired.concat(r.newly_required ?? []);
      if (r.updated >= r.behind || attempt === CHUNK_ATTEMPTS) return { scanned: r.scanned, updated, lastId: r.last_id, newlyRequired };
    }
  }
}

/**
 * Rewrites the snapshot columns (required_since, grace_deadline, enforcement_state) of some of an
 * org's members under their effective policy, joined as today (org row + group subqueries). `pick`
 * selects the accounts (`id`) of org $1; rows behind the org's version are left to the org's
 * rollout. Used by group rollouts (a chunk of a group's members), membership changes (the ids
 * changed) and group deletion (the group's members). Returns the same figures as a chunk.
 */
function refreshSql(pick: string): string {
  return `
  WITH c AS MATERIALIZED (${pick}),
  old AS MATERIALIZED (
    SELECT a.id, a.required_since AS old_required_since FROM accounts.accounts a JOIN c ON c.id = a.id WHERE a.org_id = $1
  ), u AS (
    UPDATE accounts.accounts a SET
        required_since = ${effectiveRequiredSinceSql(JOINED_POLICY)},
        grace_deadline = ${effectiveDeadlineSql(JOINED_POLICY)},
        enforcement_state = ${enforcementStateSql(JOINED_POLICY)}
      FROM old, accounts.org_policies p
     WHERE p.org_id = $1 AND a.org_id = $1 AND a.id = old.id AND a.policy_version = p.version
    RETURNING a.id, (old.old_required_since IS NULL AND a.enforcement_state IN ('pending', 'non_compliant')) AS newly
  )
  SELECT (SELECT count(*)::int FROM c) AS scanned,
         (SELECT id FROM c ORDER BY id DESC LIMIT 1) AS last_id,
         (SELECT count(*)::int FROM u) AS updated,
         (SELECT coalesce(array_agg(id::text), '{}') FROM u WHERE newly) AS newly_required`;
}

const GROUP_CHUNK_SQL = refreshSql(
  `SELECT gm.account_id AS id FROM accounts.group_members gm WHERE gm.group_id = $2 AND gm.account_id > $3::uuid ORDER BY gm.account_id LIMIT $4`,
);
const ACCOUNTS_SQL = refreshSql(`SELECT DISTINCT x AS id FROM unnest($2::uuid[]) AS x`);
const WHOLE_GROUP_SQL = refreshSql(`SELECT gm.account_id AS id FROM accounts.group_members gm WHERE gm.group_id = $2`);

type ChunkRow = { scanned: number; last_id: string | null; updated: number; newly_required: string[] };
const toChunk = (r: ChunkRow): ChunkResult => ({
  scanned: r.scanned,
  updated: r.updated,
  lastId: r.last_id,
  newlyRequired: r.newly_required ?? [],
});

/** Snapshot refreshes for groups: set-based, one statement each. */
@Injectable()
export class SnapshotRefreshRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** One keyset chunk of a group's members (a group rollout). */
  async groupChunk(orgId: string, groupId: string, after: string, limit: number): Promise<ChunkResult> {
    const rows: ChunkRow[] = await this.dataSource.query(GROUP_CHUNK_SQL, [orgId, groupId, after, limit]);
    return toChunk(rows[0]);
  }

  /** Accounts whose memberships just changed (at most MAX_GROUP_MEMBER_CHANGES), in the caller's transaction. */
  async accounts(db: Db, orgId: string, accountIds: string[]): Promise<ChunkResult> {
    const rows: ChunkRow[] = await db.query(ACCOUNTS_SQL, [orgId, accountIds]);
    return toChunk(rows[0]);
  }

  /** Every member of a group, in the caller's transaction (a deleted group's, after its policy went). */
  async wholeGroup(db: Db, orgId: string, groupId: string): Promise<ChunkResult> {
    const rows: ChunkRow[] = await db.query(WHOLE_GROUP_SQL, [orgId, groupId]);
    return toChunk(rows[0]);
  }
}
