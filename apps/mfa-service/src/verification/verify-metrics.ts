import { Injectable } from '@nestjs/common';
import { Counter, Histogram, type Registry } from 'prom-client';
import { Metrics } from '@mfa/observability';

function counter(registry: Registry): Counter<'result' | 'method'> {
  const name = 'mfa_verify_total';
  return (
    (registry.getSingleMetric(name) as Counter<'result' | 'method'>) ??
    new Counter({
      name,
      help: 'Code checks (verify and session issue) by result and method',
      labelNames: ['result', 'method'],
      registers: [registry],
    })
  );
}

function histogram(registry: Registry): Histogram<'result'> {
  const name = 'mfa_verify_duration_seconds';
  return (
    (registry.getSingleMetric(name) as Histogram<'result'>) ??
    new Histogram({
      name,
      help: 'Time to check a code, by result',
      labelNames: ['result'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    })
  );
}

/** The verify counter (by result and method) and latency histogram on /metrics. */
@Injectable()
export class VerifyMetrics {
  private readonly total: Counter<'result' | 'method'>;
  private readonly duration: Histogram<'result'>;

  constructor(metrics: Metrics) {
    this.total = counter(metrics.registry);
    this.duration = histogram(metrics.registry);
  }

  /** Starts a timer; call the result with the outcome. */
  start(): (result: string, method?: string) => void {
    const end = this.duration.startTimer();
    return (result, method = 'none') => {
      end({ result });
      this.total.inc({ result, method });
    };
  }
}
