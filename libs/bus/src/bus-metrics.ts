import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import { ErrorCodes, InternalPatterns, Patterns } from '@mfa/contracts';

/** The token MetricsModule provides a BusMetrics under (optional: without it the bus counts nothing). */
export const BUS_METRICS = Symbol('BUS_METRICS');

/** Why the gate refused or dropped an entry: the `reason` label of bus_rejected_total (docs/operations.md). */
export const RejectReasons = {
  /** deadline already past when read: dropped unanswered */
  Expired: 'expired',
  /** a field longer than allowed, or data over the size cap */
  Size: 'size',
  /** id, pattern or deadline missing or malformed */
  Envelope: 'envelope',
  /** no keyId or sig */
  Unsigned: 'unsigned',
  /** deadline further ahead than the protocol allows */
  Deadline: 'deadline',
  UnknownKey: 'unknown_key',
  Signature: 'signature',
  /** authenticated, but replyTo outside the key's prefix: dropped */
  ReplyTo: 'reply_to',
  Replay: 'replay',
  /** an internal pattern or a scope the key lacks */
  Scope: 'scope',
  UnknownPattern: 'unknown_pattern',
  InvalidJson: 'invalid_json',
  /** an accountId outside the key's org */
  Org: 'org',
  /** the key directory, replay marks or account orgs could not be checked */
  Unavailable: 'unavailable',
  /** too many expensive requests of one org in progress */
  Busy: 'busy',
} as const;
export type RejectReason = (typeof RejectReasons)[keyof typeof RejectReasons];

const KNOWN_PATTERNS: ReadonlySet<string> = new Set([...Object.values(Patterns), ...Object.values(InternalPatterns)]);
const KNOWN_OUTCOMES: ReadonlySet<string> = new Set(['ok', 'dropped', ...Object.values(ErrorCodes)]);

/** Labels come from fixed sets only, so no caller can grow the series count (never an org, account or key id). */
export const patternLabel = (pattern: string | undefined): string => (pattern && KNOWN_PATTERNS.has(pattern) ? pattern : 'unknown');
const outcomeLabel = (outcome: string): string => (KNOWN_OUTCOMES.has(outcome) ? outcome : 'other');

const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface Inc {
  inc(n?: number): void;
}
interface Observe {
  observe(v: number): void;
}

/** What a bus server reports on scrape: XINFO GROUPS' pending and lag of its group. */
export type GroupProbe = () => Promise<{ pending: number; lag: number | null } | null>;

/**
 * The bus' series on one registry, server and client side. Label children are cached, so
 * counting a request is two Map lookups and an increment: no await, no allocation.
 */
export class BusMetrics {
  private static readonly byRegistry = new WeakMap<Registry, BusMetrics>();

  /** One per registry (prom-client refuses a name registered twice). */
  static for(registry: Registry, service: string): BusMetrics {
    let m = BusMetrics.byRegistry.get(registry);
    if (!m) BusMetrics.byRegistry.set(registry, (m = new BusMetrics(registry, service)));
    return m;
  }

  private readonly requests: Counter<'service' | 'pattern' | 'outcome'>;
  private readonly durations: Histogram<'service' | 'pattern'>;
  private readonly clientRequests: Counter<'service' | 'pattern' | 'outcome'>;
  private readonly clientDurations: Histogram<'service' | 'pattern'>;
  private readonly rejections: Counter<'service' | 'reason'>;
  private readonly batchSizes: Observe;
  private readonly deadLetters: Inc;
  private readonly cache = new Map<string, Map<string, Inc>>();
  private readonly clientCache = new Map<string, Map<string, Inc>>();
  private readonly durationCache = new Map<string, Observe>();
  private readonly clientDurationCache = new Map<string, Observe>();
  private readonly rejectCache = new Map<string, Inc>();
  private readonly probes = new Set<GroupProbe>();

  private constructor(registry: Registry, readonly service: string) {
    const registers = [registry];
    this.requests = new Counter({
      name: 'bus_requests_total', help: 'Bus entries this service handled or refused, by pattern and outcome (ok, an error code, or dropped)',
      labelNames: ['service', 'pattern', 'outcome'], registers,
    });
    this.durations = new Histogram({
      name: 'bus_request_duration_seconds', help: 'Time a handler took on an admitted bus entry, by pattern', labelNames: ['service', 'pattern'],
      buckets: DURATION_BUCKETS, registers,
    });
    this.clientRequests = new Counter({
      name: 'bus_client_requests_total', help: 'Bus requests this service sent, by pattern and outcome (ok or the error code; timeout when no reply came)',
      labelNames: ['service', 'pattern', 'outcome'], registers,
    });
    this.clientDurations = new Histogram({
      name: 'bus_client_request_duration_seconds', help: 'Round trip of bus requests this service sent, by pattern', labelNames: ['service', 'pattern'],
      buckets: DURATION_BUCKETS, registers,
    });
    this.rejections = new Counter({
      name: 'bus_rejected_total', help: 'Entries the bus gate refused or dropped, by reason (signature, replay, size, scope, ...)',
      labelNames: ['service', 'reason'], registers,
    });
    this.batchSizes = new Histogram({
      name: 'bus_batch_size', help: 'Entries per batch read from the request stream', labelNames: ['service'],
      buckets: [1, 2, 5, 10, 25, 50, 100, 250], registers,
    }).labels(service);
    this.deadLetters = new Counter({
      name: 'bus_dead_letters_total', help: 'Entries moved to bus:<service>:dead after a consumer died on them', labelNames: ['service'], registers,
    }).labels(service);
    const probes = this.probes;
    // XINFO GROUPS on scrape only: one cheap command per scrape, nothing on the request path
    const group = async (pick: 'pending' | 'lag', gauge: Gauge<'service'>) => {
      gauge.reset();
      for (const probe of probes) {
        const info = await probe().catch(() => null);
        const v = info?.[pick];
        if (typeof v === 'number') gauge.set({ service }, v);
      }
    };
    new Gauge({
      name: 'bus_consumer_pending', help: 'Entries delivered to this service\'s consumer group and not yet acknowledged (XINFO GROUPS pending)',
      labelNames: ['service'], registers, collect() { return group('pending', this); },
    });
    new Gauge({
      name: 'bus_consumer_lag', help: 'Entries in the request stream not yet delivered to this service\'s consumer group (XINFO GROUPS lag)',
      labelNames: ['service'], registers, collect() { return group('lag', this); },
    });
  }

  /** A server's group, reported on scrape until the returned function is called. */
  watchGroup(probe: GroupProbe): () => void {
    this.probes.add(probe);
    return () => void this.probes.delete(probe);
  }

  /** Server side: an entry answered (or dropped) with `outcome`; `seconds` when a handler ran. */
  served(pattern: string | undefined, outcome: string, seconds?: number): void {
    const p = patternLabel(pattern);
    this.child(this.cache, this.requests, p, outcomeLabel(outcome)).inc();
    if (seconds !== undefined) this.observer(this.durationCache, this.durations, p).observe(seconds);
  }

  /** Client side: a request settled with `outcome` after `seconds`. */
  sent(pattern: string, outcome: string, seconds: number): void {
    const p = patternLabel(pattern);
    this.child(this.clientCache, this.clientRequests, p, outcomeLabel(outcome)).inc();
    this.observer(this.clientDurationCache, this.clientDurations, p).observe(seconds);
  }

  rejected(reason: RejectReason): void {
    let c = this.rejectCache.get(reason);
    if (!c) this.rejectCache.set(reason, (c = this.rejections.labels(this.service, reason)));
    c.inc();
  }

  batch(size: number): void {
    this.batchSizes.observe(size);
  }

  deadLettered(n: number): void {
    this.deadLetters.inc(n);
  }

  private child(cache: Map<string, Map<string, Inc>>, counter: Counter<'service' | 'pattern' | 'outcome'>, pattern: string, outcome: string): Inc {
    let byOutcome = cache.get(pattern);
    if (!byOutcome) cache.set(pattern, (byOutcome = new Map()));
    let c = byOutcome.get(outcome);
    if (!c) byOutcome.set(outcome, (c = counter.labels(this.service, pattern, outcome)));
    return c;
  }

  private observer(cache: Map<string, Observe>, histogram: Histogram<'service' | 'pattern'>, pattern: string): Observe {
    let h = cache.get(pattern);
    if (!h) cache.set(pattern, (h = histogram.labels(this.service, pattern)));
    return h;
  }
}
