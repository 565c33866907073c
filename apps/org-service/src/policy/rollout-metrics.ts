import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Metrics, scrapedGauge } from '@mfa/observability';

/** Unfinished rollouts shown one by one (the longest silent first); the count covers all. */
export const ROLLOUTS_SHOWN = 20;
const TTL_MS = 15_000;

interface UnfinishedRollout {
  org_id: string;
  policy_version: number;
  status: string;
  total: number;
  applied: number;
  silent_s: number;
}

/** Rollouts not completed, from the partial index on unfinished rows; for the scrape only. */
@Injectable()
export class RolloutStatsRepository {
  constructor(private readonly dataSource: DataSource) {}

  async countsByStatus(): Promise<Array<{ status: string; n: number }>> {
    return this.dataSource.query(`SELECT status, count(*)::int AS n FROM org.policy_rollouts WHERE status <> 'completed' GROUP BY status`);
  }

  async unfinished(limit: number): Promise<UnfinishedRollout[]> {
    return this.dataSource.query(
      `SELECT org_id::text, policy_version, status, total, applied, extract(epoch FROM now() - updated_at)::float8 AS silent_s
         FROM org.policy_rollouts WHERE status <> 'completed' ORDER BY updated_at LIMIT $1`,
      [limit],
    );
  }
}

/**
 * `mfa_rollouts_unfinished{status}`, `mfa_rollout_progress_ratio{org_id, policy_version}` and
 * `mfa_rollout_silence_seconds{org_id, policy_version}` (ROLLOUTS_SHOWN rollouts at most).
 */
@Injectable()
export class RolloutMetrics {
  constructor(metrics: Metrics, stats: RolloutStatsRepository) {
    let shown: Promise<UnfinishedRollout[]> | undefined;
    let at = 0;
    // one query serves both per-rollout gauges of a scrape
    const unfinished = () => {
      if (!shown || Date.now() - at >= 1000) [shown, at] = [stats.unfinished(ROLLOUTS_SHOWN), Date.now()];
      return shown;
    };
    scrapedGauge(metrics.registry, {
      name: 'mfa_rollouts_unfinished',
      help: 'Policy rollouts not completed, by status (queued, running, failed)',
      labelNames: ['status'],
      ttlMs: TTL_MS,
      load: async () => (await stats.countsByStatus()).map((r) => ({ labels: { status: r.status }, value: r.n })),
    });
    const labels = (r: UnfinishedRollout) => ({ org_id: r.org_id, policy_version: String(r.policy_version) });
    scrapedGauge(metrics.registry, {
      name: 'mfa_rollout_progress_ratio',
      help: `applied / total of unfinished rollouts (the ${ROLLOUTS_SHOWN} silent longest)`,
      labelNames: ['org_id', 'policy_version'],
      ttlMs: TTL_MS,
      load: async () => (await unfinished()).map((r) => ({ labels: labels(r), value: r.total > 0 ? Math.min(1, r.applied / r.total) : 0 })),
    });
    scrapedGauge(metrics.registry, {
      name: 'mfa_rollout_silence_seconds',
      help: `Seconds since an unfinished rollout last progressed (the ${ROLLOUTS_SHOWN} silent longest)`,
      labelNames: ['org_id', 'policy_version'],
      ttlMs: TTL_MS,
      load: async () => (await unfinished()).map((r) => ({ labels: labels(r), value: r.silent_s })),
    });
  }
}
