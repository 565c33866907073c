import { Injectable } from '@nestjs/common';
import { Metrics, scrapedGauge } from '@mfa/observability';
import { EnforcementStatsRepository } from './enforcement-stats.repository';

/** Orgs with the most non-compliant members shown by id; everyone else is in the totals only. */
export const TOP_ORGS = 10;
const TTL_MS = 30_000;

/**
 * `mfa_members{state}` (totals across orgs) and `mfa_members_non_compliant_top_orgs{org_id}`
 * (TOP_ORGS orgs at most): bounded whatever the number of orgs or members; computed on scrape,
 * cached TTL_MS.
 */
@Injectable()
export class EnforcementMetrics {
  constructor(metrics: Metrics, stats: EnforcementStatsRepository) {
    scrapedGauge(metrics.registry, {
      name: 'mfa_members',
      help: 'Member accounts by stored enforcement state, all orgs',
      labelNames: ['state'],
      ttlMs: TTL_MS,
      load: async () => (await stats.membersByState()).map((r) => ({ labels: { state: r.state }, value: r.n })),
    });
    scrapedGauge(metrics.registry, {
      name: 'mfa_members_non_compliant_top_orgs',
      help: `Non-compliant members of the ${TOP_ORGS} orgs with the most`,
      labelNames: ['org_id'],
      ttlMs: TTL_MS,
      load: async () => (await stats.topNonCompliantOrgs(TOP_ORGS)).map((r) => ({ labels: { org_id: r.org_id }, value: r.n })),
    });
  }
}
