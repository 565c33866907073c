import { Injectable } from '@nestjs/common';
import { Counter, Gauge, type Registry } from 'prom-client';
import { Metrics } from '@mfa/observability';

function gauge(registry: Registry, name: string, help: string): Gauge<'job'> {
  // two app instances in one process (tests) may share the registry: reuse, never re-register
  return (registry.getSingleMetric(name) as Gauge<'job'>) ?? new Gauge({ name, help, labelNames: ['job'], registers: [registry] });
}

/** The compliance jobs' figures on account-service's /metrics. */
@Injectable()
export class ComplianceMetrics {
  private readonly lastRun: Gauge<'job'>;
  private readonly duration: Gauge<'job'>;
  private readonly changed: Counter<'job'>;

  constructor(metrics: Metrics) {
    const r = metrics.registry;
    this.lastRun = gauge(r, 'compliance_job_last_run_timestamp_seconds', 'Unix time the compliance job last finished a run');
    this.duration = gauge(r, 'compliance_job_duration_seconds', 'How long the last run of the compliance job took');
    this.changed =
      (r.getSingleMetric('compliance_job_accounts_changed_total') as Counter<'job'>) ??
      new Counter({
        name: 'compliance_job_accounts_changed_total',
        help: 'Accounts (or rows) each compliance job changed',
        labelNames: ['job'],
        registers: [r],
      });
  }

  record(job: string, startedAt: number, finishedAt: number, changed: number): void {
    this.lastRun.set({ job }, finishedAt / 1000);
    this.duration.set({ job }, (finishedAt - startedAt) / 1000);
    this.changed.inc({ job }, changed);
  }
}
