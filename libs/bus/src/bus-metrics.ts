import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import { ErrorCodes, InternalPatterns, Patterns } from '@mfa/contracts';
import type { TraceSource } from './tracing';

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
const BATCH_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250];

/**
 * A counter or histogram kept in plain numbers and handed to prom-client on scrape: prom-client
 * hashes the label object on every inc/observe (a string built per call, even on a bound child),
 * several microseconds per request; here counting is a field increment.
 */
class Slot {
  n = 0;
  sum = 0;
  readonly buckets: Float64Array;
  constructor(
    readonly labels: Record<string, string>,
    bounds: readonly number[] | null,
  ) {
    this.buckets = new Float64Array(bounds ? bounds.length : 0);
  }
}

class SlotMetric {
  readonly aggregator = 'sum' as const;
  private readonly slots: Slot[] = [];
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'histogram',
    private readonly bounds: readonly number[] | null,
    registry: Registry,
  ) {
    registry.registerMetric(this as never);
  }

  slot(labels: Record<string, string>): Slot {
    const s = new Slot(labels, this.bounds);
    this.slots.push(s);
    return s;
  }

  inc(s: Slot, n = 1): void {
    s.n += n;
  }

  observe(s: Slot, v: number): void {
    s.n++;
    s.sum += v;
    const b = this.bounds!;
    for (let i = 0; i < b.length; i++) {
      if (v <= b[i]) {
        s.buckets[i]++;
        return;
      }
    }
  }

  /** prom-client's metric interface (registry.metrics(), getMetricsAsJSON()). */
  async get() {
    const values: Array<{ labels: Record<string, string | number>; value: number; metricName?: string }> = [];
    for (const s of this.slots) {
      if (this.type === 'counter') {
        values.push({ labels: s.labels, value: s.n });
        continue;
      }
      let acc = 0;
      this.bounds!.forEach((le, i) => {
        acc += s.buckets[i];
        values.push({ labels: { ...s.labels, le }, value: acc, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { ...s.labels, le: '+Inf' }, value: s.n, metricName: `${this.name}_bucket` });
      values.push({ labels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: s.labels, value: s.n, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {
    for (const s of this.slots) {
      s.n = 0;
      s.sum = 0;
      s.buckets.fill(0);
    }
  }
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

  private readonly requests: SlotMetric;
  private readonly durations: SlotMetric;
  private readonly clientRequests: SlotMetric;
  private readonly clientDurations: SlotMetric;
  private readonly rejections: SlotMetric;
  private readonly batchSizes: Slot;
  private readonly batchMetric: SlotMetric;
  private readonly deadLetters: Slot;
  private readonly deadLetterMetric: SlotMetric;
  private readonly invalidTraceMetric: SlotMetric;
  private readonly invalidTraceCache = new Map<TraceSource, Slot>();
  private readonly cache = new Map<string, Map<string, Slot>>();
  private readonly clientCache = new Map<string, Map<string, Slot>>();
  private readonly durationCache = new Map<string, Slot>();
  private readonly clientDurationCache = new Map<string, Slot>();
  private readonly rejectCache = new Map<string, Slot>();
  private readonly probes = new Set<GroupProbe>();

  private constructor(
    registry: Registry,
    readonly service: string,
  ) {
    const registers = [registry];
    this.requests = new SlotMetric(
      'bus_requests_total',
      'Bus entries this service handled or refused, by pattern and outcome (ok, an error code, or dropped)',
      'counter',
      null,
      registry,
    );
    this.durations = new SlotMetric(
      'bus_request_duration_seconds',
      'Time a handler took on an admitted bus entry, by pattern',
      'histogram',
      DURATION_BUCKETS,
      registry,
    );
    this.clientRequests = new SlotMetric(
      'bus_client_requests_total',
      'Bus requests this service sent, by pattern and outcome (ok or the error code; timeout when no reply came)',
      'counter',
      null,
      registry,
    );
    this.clientDurations = new SlotMetric(
      'bus_client_request_duration_seconds',
      'Round trip of bus requests this service sent, by pattern',
      'histogram',
      DURATION_BUCKETS,
      registry,
    );
    this.rejections = new SlotMetric(
      'bus_rejected_total',
      'Entries the bus gate refused or dropped, by reason (signature, replay, size, scope, ...)',
      'counter',
      null,
      registry,
    );
    this.batchMetric = new SlotMetric(
      'bus_batch_size',
      'Entries per batch read from the request stream',
      'histogram',
      BATCH_BUCKETS,
      registry,
    );
    this.batchSizes = this.batchMetric.slot({ service });
    this.deadLetterMetric = new SlotMetric(
      'bus_dead_letters_total',
      'Entries moved to bus:<service>:dead after a consumer died on them',
      'counter',
      null,
      registry,
    );
    this.deadLetters = this.deadLetterMetric.slot({ service });
    this.invalidTraceMetric = new SlotMetric(
      'trace_context_invalid_total',
      'traceparent values ignored because they are not valid W3C Trace Context, by where they came (bus, job, http)',
      'counter',
      null,
      registry,
    );
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
      name: 'bus_consumer_pending',
      help: "Entries delivered to this service's consumer group and not yet acknowledged (XINFO GROUPS pending)",
      labelNames: ['service'],
      registers,
      collect() {
        return group('pending', this);
      },
    });
    new Gauge({
      name: 'bus_consumer_lag',
      help: "Entries in the request stream not yet delivered to this service's consumer group (XINFO GROUPS lag)",
      labelNames: ['service'],
      registers,
      collect() {
        return group('lag', this);
      },
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
    this.requests.inc(this.child(this.cache, this.requests, p, outcome));
    if (seconds !== undefined) this.durations.observe(this.observer(this.durationCache, this.durations, p), seconds);
  }

  /** Client side: a request settled with `outcome` after `seconds`. */
  sent(pattern: string, outcome: string, seconds: number): void {
    const p = patternLabel(pattern);
    this.clientRequests.inc(this.child(this.clientCache, this.clientRequests, p, outcome));
    this.clientDurations.observe(this.observer(this.clientDurationCache, this.clientDurations, p), seconds);
  }

  rejected(reason: RejectReason): void {
    let c = this.rejectCache.get(reason);
    if (!c) this.rejectCache.set(reason, (c = this.rejections.slot({ service: this.service, reason })));
    this.rejections.inc(c);
  }

  batch(size: number): void {
    this.batchMetric.observe(this.batchSizes, size);
  }

  deadLettered(n: number): void {
    this.deadLetterMetric.inc(this.deadLetters, n);
  }

  /** A traceparent (entry field, job data, HTTP header) that was not valid: ignored, counted here. */
  invalidTraceContext(source: TraceSource): void {
    let c = this.invalidTraceCache.get(source);
    if (!c) this.invalidTraceCache.set(source, (c = this.invalidTraceMetric.slot({ service: this.service, source })));
    this.invalidTraceMetric.inc(c);
  }

  private child(cache: Map<string, Map<string, Slot>>, metric: SlotMetric, pattern: string, outcome: string): Slot {
    const label = outcomeLabel(outcome); // a Set lookup: the cache never holds a value a caller made up
    let byOutcome = cache.get(pattern);
    if (!byOutcome) cache.set(pattern, (byOutcome = new Map<string, Slot>()));
    let c = byOutcome.get(label);
    if (!c) byOutcome.set(label, (c = metric.slot({ service: this.service, pattern, outcome: label })));
    return c;
  }

  private observer(cache: Map<string, Slot>, metric: SlotMetric, pattern: string): Slot {
    let h = cache.get(pattern);
    if (!h) cache.set(pattern, (h = metric.slot({ service: this.service, pattern })));
    return h;
  }
}
