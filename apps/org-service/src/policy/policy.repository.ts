import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Db } from '@mfa/database';
import type { RolloutProgressJob } from '@mfa/contracts';
import { type PolicyRow, type RolloutRow, toConditions } from './policy.mapper';
import type { PutPolicyDto } from './dto/policy.dto';

const POLICY_COLUMNS =
  'org_id, group_id, version, require_mfa, grace_period_hours, allowed_methods, max_mfa_age_seconds, secure_methods_only, conditions, created_at';
const ROLLOUT_COLUMNS = 'id, org_id, group_id, policy_version, status, total, applied, created_at, completed_at';

export interface StaleRollout {
  rollout: RolloutRow;
  policy: PolicyRow;
  latest: boolean;
}

/** Every query on org.mfa_policies and org.policy_rollouts. */
@Injectable()
export class PolicyRepository {
  constructor(private readonly dataSource: DataSource) {}

  transaction<T>(work: (tx: Db) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /** The org's latest version, or with `groupId` that group's (versions count per group). */
  async latest(orgId: string, groupId: string | null = null): Promise<PolicyRow | null> {
    const rows: PolicyRow[] = await this.dataSource.query(
      `SELECT ${POLICY_COLUMNS} FROM org.mfa_policies WHERE org_id = $1 AND group_id IS NOT DISTINCT FROM $2::uuid ORDER BY version DESC LIMIT 1`,
      [orgId, groupId],
    );
    return rows[0] ?? null;
  }

  /**
   * Inside the caller's transaction: serializes writers of one org's (or one group's) policy with
   * an advisory lock (it also covers the first version, when there is no row to lock), then
   * inserts version + 1 and its rollout, `queued`. `groupId` null: the org's own policy.
   */
  async insertNextVersion(
    tx: Db,
    orgId: string,
    input: PutPolicyDto,
    actor: string | null,
    groupId: string | null = null,
  ): Promise<{ policy: PolicyRow; rollout: RolloutRow }> {
    const lockKey = groupId ? `${orgId}:${groupId}` : orgId;
    await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended('org.mfa_policies:' || $1, 0))`, [lockKey]);
    const [policy]: PolicyRow[] = await tx.query(
      `INSERT INTO org.mfa_policies (org_id, group_id, version, require_mfa, grace_period_hours, allowed_methods, max_mfa_age_seconds, secure_methods_only, conditions, actor)
       SELECT $1, $9::uuid, COALESCE(max(version), 0) + 1, $2, $3, $4::text[], $5, $7, $8::jsonb, $6 FROM org.mfa_policies
        WHERE org_id = $1 AND group_id IS NOT DISTINCT FROM $9::uuid
       RETURNING ${POLICY_COLUMNS}`,
      [
        orgId,
        input.requireMfa,
        input.gracePeriodHours,
        input.allowedMethods,
        input.maxMfaAgeSeconds ?? null,
        actor,
        input.secureMethodsOnly ?? false,
        JSON.stringify(toConditions(input.conditions)),
        groupId,
      ],
    );
    const [rollout]: RolloutRow[] = await tx.query(
      `INSERT INTO org.policy_rollouts (id, org_id, group_id, policy_version, status) VALUES ($1, $2, $4, $3, 'queued') RETURNING ${ROLLOUT_COLUMNS}`,
      [randomUUID(), orgId, policy.version, groupId],
    );
    return { policy, rollout };
  }

  async rollout(orgId: string, id: string): Promise<RolloutRow | null> {
    const rows: RolloutRow[] = await this.dataSource.query(
      `SELECT ${ROLLOUT_COLUMNS} FROM org.policy_rollouts WHERE id = $1 AND org_id = $2`,
      [id, orgId],
    );
    return rows[0] ?? null;
  }

  /** Both services acked: `running` with the member count they reported (unless progress already finished it). */
  async markHandedOver(rolloutId: string, total: number): Promise<void> {
    await this.dataSource.query(
      `UPDATE org.policy_rollouts SET status = 'running', total = GREATEST(total, $2), updated_at = now()
        WHERE id = $1 AND status IN ('queued', 'failed')`,
      [rolloutId, total],
    );
  }

  /**
   * Idempotent and order-proof: applied only grows while running; `completed` is final and
   * carries the exact figures; nothing changes a completed rollout.
   */
  async applyProgress(p: RolloutProgressJob): Promise<void> {
    const done = p.status === 'completed';
    await this.dataSource.query(
      `UPDATE org.policy_rollouts SET
         status = $2,
         applied = CASE WHEN $3 THEN $4 ELSE GREATEST(applied, $4) END,
         total = CASE WHEN $3 THEN $5 ELSE GREATEST(total, $5, $4) END,
         completed_at = CASE WHEN $3 THEN COALESCE($6::timestamptz, now()) END,
         updated_at = now()
       WHERE id = $1 AND status <> 'completed'`,
      [p.rolloutId, p.status, done, p.applied, p.total, p.completedAt],
    );
  }

  /**
   * Claims rollouts not completed and silent for `staleSeconds` (touching them, so another
   * instance or the next tick does not claim them again at once), with their policy version.
   */
  async claimStale(staleSeconds: number, limit = 20): Promise<StaleRollout[]> {
    const rows: Array<RolloutRow & { p: PolicyRow; latest: boolean }> = await this.dataSource.query(
      `WITH claimed AS (
         UPDATE org.policy_rollouts SET updated_at = now()
          WHERE id IN (SELECT id FROM org.policy_rollouts
                        WHERE status <> 'completed' AND updated_at < now() - make_interval(secs => $1)
                        ORDER BY updated_at LIMIT $2 FOR UPDATE SKIP LOCKED)
         RETURNING ${ROLLOUT_COLUMNS})
       SELECT c.*, row_to_json(p) AS p,
              p.version = (SELECT max(version) FROM org.mfa_policies
                            WHERE org_id = c.org_id AND group_id IS NOT DISTINCT FROM c.group_id) AS latest
         FROM claimed c JOIN org.mfa_policies p
           ON p.org_id = c.org_id AND p.group_id IS NOT DISTINCT FROM c.group_id AND p.version = c.policy_version`,
      [staleSeconds, limit],
    );
    return rows.map(({ p, latest, ...rollout }) => ({ rollout, policy: { ...p, created_at: new Date(p.created_at) }, latest }));
  }
}
