import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { OrgPolicyState } from './compute-enforcement';
import { enforcementStateSql, graceDeadlineSql, type PolicyExprs } from './enforcement.sql';

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

/**
 * The SET list of a materialization (snapshot of the rule at the time of writing). Shared with
 * bench/rollout.ts so the chunked walk and the raw single UPDATE write exactly the same thing.
 */
export const MATERIALIZE_SET = `
    policy_version = $4,
    required_since = CASE WHEN $5::boolean THEN $6::timestamptz END,
    grace_deadline = CASE WHEN $5::boolean THEN ${graceDeadlineSql(P)} END,
    enforcement_state = ${enforcementStateSql(P)}`;

export function policyParams(policy: OrgPolicyState): unknown[] {
  return [policy.version, policy.requireMfa, policy.requiredSince, policy.gracePeriodHours, policy.secureMethodsOnly];
}

// One statement per chunk: pick the next ids by (org_id, id), update those still behind the
// version (rows already there are skipped, so a re-run after a crash is cheap and harmless),
// and return the cursor and who became newly required.
const CHUNK_SQL = `
  WITH c AS MATERIALIZED (
    SELECT id, required_since AS old_required_since FROM accounts.accounts
     WHERE org_id = $1 AND id > $2::uuid ORDER BY id LIMIT $3
  ), u AS (
    UPDATE accounts.accounts a SET ${MATERIALIZE_SET}
      FROM c WHERE a.org_id = $1 AND a.id = c.id AND a.policy_version < $4
    RETURNING a.id, (c.old_required_since IS NULL AND a.enforcement_state IN ('pending', 'non_compliant')) AS newly
  )
  SELECT (SELECT count(*)::int FROM c) AS scanned,
         (SELECT id FROM c ORDER BY id DESC LIMIT 1) AS last_id,
         (SELECT count(*)::int FROM u) AS updated,
         (SELECT coalesce(array_agg(id::text), '{}') FROM u WHERE newly) AS newly_required`;

@Injectable()
export class RolloutMaterializerRepository {
  constructor(private readonly dataSource: DataSource) {}

  async materializeChunk(orgId: string, policy: OrgPolicyState, after: string, limit: number): Promise<ChunkResult> {
    const rows: Array<{ scanned: number; last_id: string | null; updated: number; newly_required: string[] }> = await this.dataSource.query(
      CHUNK_SQL,
      [orgId, after, limit, ...policyParams(policy)],
    );
    const r = rows[0];
    return { scanned: r.scanned, updated: r.updated, lastId: r.last_id, newlyRequired: r.newly_required ?? [] };
  }
}
