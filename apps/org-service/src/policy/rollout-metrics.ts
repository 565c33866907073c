import { Injectable } from '@nestjs/common';
import { Metrics, scrapedGauge } from '@mfa/observability';
import { RolloutStatsRepository, type UnfinishedRollout } from './rollout-stats.repository';

/** Unfinished rollouts shown one by one (the longest silent first); the count covers all. */
export const ROLLOUTS_SHOWN = 20;
const TTL_MS = 15_000;

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
