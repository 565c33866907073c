import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';

const RATE_LIMITS: ReadonlySet<string> = new Set(['sms', 'sms_resend', 'recovery']);

/** Counter children cached by label value, so an inc allocates nothing after the first. */
class ByLabel {
  private readonly children = new Map<string, { inc(): void }>();
  constructor(private readonly counter: Counter<string>) {}
  inc(value: string): void {
    let c = this.children.get(value);
    if (!c) this.children.set(value, (c = this.counter.labels(value)));
    c.inc();
  }
}

function counter(registry: Registry, name: string, help: string, labelNames: string[] = []): Counter<string> {
  return (registry.getSingleMetric(name) as Counter<string>) ?? new Counter({ name, help, labelNames, registers: [registry] });
}

/**
 * Security series (docs/operations.md, "Metrics"): lockouts started, rate limits hit, session
 * revocations. One line at each place it happens; labels from fixed sets, never an id.
 */
export class SecurityMetrics {
  private readonly lockouts: Counter<string>;
  private readonly limited: ByLabel;
  private readonly revocations: ByLabel;

  /** MetricsModule provides one per app (inject SecurityMetrics). */
  constructor(r: Registry) {
    this.lockouts = counter(r, 'mfa_lockouts_started_total', 'Accounts locked out after too many failed codes');
    this.limited = new ByLabel(
      counter(r, 'mfa_rate_limited_total', 'Requests refused by a rate limit, by limit (sms, sms_resend, recovery)', ['limit']),
    );
    this.revocations = new ByLabel(counter(r, 'mfa_session_revocations_total', 'Session revocations recorded, by reason', ['reason']));
  }

  lockoutStarted(): void {
    this.lockouts.inc();
  }

  rateLimited(limit: string): void {
    this.limited.inc(RATE_LIMITS.has(limit) ? limit : 'other');
  }

  /** `reason`: a SessionRevocationReason (a fixed set). */
  sessionRevoked(reason: string): void {
    this.revocations.inc(reason);
  }
}

export interface GaugeSample {
  labels: Record<string, string>;
  value: number;
}

/**
 * A gauge computed on scrape from `load` (set-based SQL), cached `ttlMs` so frequent scrapes or
 * several Prometheus servers cost one query per period; a failed load keeps the last values.
 */
export function scrapedGauge(
  registry: Registry,
  opts: { name: string; help: string; labelNames: string[]; ttlMs?: number; load: () => Promise<GaugeSample[]> },
): Gauge<string> {
  const ttl = opts.ttlMs ?? 15_000;
  let at = 0;
  let last: GaugeSample[] = [];
  let loading: Promise<void> | undefined;
  const refresh = () =>
    (loading ??= opts
      .load()
      .then(
        (samples) => {
          last = samples;
          at = Date.now();
        },
        () => undefined,
      )
      .finally(() => (loading = undefined)));
  return new Gauge({
    name: opts.name,
    help: opts.help,
    labelNames: opts.labelNames,
    registers: [registry],
    async collect() {
      if (Date.now() - at >= ttl) await refresh();
      this.reset();
      for (const s of last) this.set(s.labels, s.value);
    },
  });
}
