import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { DelayedError, type Queue, RateLimitError, WaitingChildrenError, WaitingError } from 'bullmq';
import { QueueOfJob, type QueueName } from '@mfa/contracts';

/** The token MetricsModule provides a JobMetrics under (optional: without it the job layer counts nothing). */
export const JOB_METRICS = Symbol('JOB_METRICS');

/** How one job attempt ended: the `outcome` label of bullmq_jobs_total (docs/operations.md). */
export const JobOutcomes = {
  Completed: 'completed',
  /** the handler threw: retried while attempts remain */
  Failed: 'failed',
  /** signed, but its data does not fit the payload class (or a name not of this queue): failed for good */
  Invalid: 'invalid',
  /** not signed by the platform: failed for good, unprocessed */
  Unsigned: 'unsigned',
  /** the handler put the job back (BullMQ's DelayedError, WaitingError, ...: a walk stopped at shutdown) */
  Requeued: 'requeued',
} as const;
export type JobOutcome = (typeof JobOutcomes)[keyof typeof JobOutcomes];

/** The job states of BullMQ 6 (its JobState; a paused queue is a flag, not a state). */
const STATES = ['active', 'completed', 'delayed', 'failed', 'prioritized', 'waiting', 'waiting-children'] as const;

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/** BullMQ's control-flow errors: the job was moved back by its handler, not failed. */
export const isRequeue = (err: unknown): boolean =>
  err instanceof DelayedError || err instanceof WaitingError || err instanceof WaitingChildrenError || err instanceof RateLimitError;

/** Job names come from the registry only: a job added by someone else cannot grow the series count. */
export const jobLabel = (queue: QueueName, name: string): string =>
  (QueueOfJob as Record<string, QueueName | undefined>)[name] === queue ? name : 'unknown';

/**
 * The job layer's series on one registry: `bullmq_job_count{queue, state}` (the same series
 * BullMQ's exportPrometheusMetrics writes) for the queues this app consumes, read on scrape and
 * cached for `cacheMs`; and per job name, attempt durations and outcomes, counted by the
 * workers' handler wrapper (JobWorkers).
 */
export class JobMetrics {
  private static readonly byRegistry = new WeakMap<Registry, JobMetrics>();

  /** One per registry (prom-client refuses a name registered twice). */
  static for(registry: Registry, opts: { cacheMs?: number; timeoutMs?: number } = {}): JobMetrics {
    let m = JobMetrics.byRegistry.get(registry);
    if (!m) JobMetrics.byRegistry.set(registry, (m = new JobMetrics(registry, opts.cacheMs ?? 5000, opts.timeoutMs ?? 2000)));
    return m;
  }

  private readonly durations: Histogram<'queue' | 'name'>;
  private readonly outcomes: Counter<'queue' | 'name' | 'outcome'>;
  private readonly watched = new Set<Queue>();
  private counts?: { at: number; values: Promise<Array<{ queue: string; counts: Record<string, number> }>> };

  private constructor(
    registry: Registry,
    private readonly cacheMs: number,
    private readonly timeoutMs: number,
  ) {
    const registers = [registry];
    this.durations = new Histogram({
      name: 'bullmq_job_duration_seconds',
      help: 'Time a job handler took on one attempt, by queue and job name',
      labelNames: ['queue', 'name'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.outcomes = new Counter({
      name: 'bullmq_jobs_total',
      help: 'Job attempts this service ran or refused, by queue, job name and outcome (completed, failed, invalid, unsigned, requeued)',
      labelNames: ['queue', 'name', 'outcome'],
      registers,
    });
    const jobCounts = () => this.jobCounts();
    new Gauge({
      name: 'bullmq_job_count',
      help: 'Number of jobs in the queue by state (queues this service consumes)',
      labelNames: ['queue', 'state'],
      registers,
      async collect() {
        this.reset();
        for (const { queue, counts } of await jobCounts()) for (const state of STATES) this.set({ queue, state }, counts[state] ?? 0);
      },
    });
  }

  /** Reports these queues' job counts on scrape until the returned function is called. */
  watchQueues(queues: readonly Queue[]): () => void {
    for (const q of queues) this.watched.add(q);
    this.counts = undefined;
    return () => {
      for (const q of queues) this.watched.delete(q);
      this.counts = undefined;
    };
  }

  /** One attempt of a job ended with `outcome`; `seconds` when its handler ran. */
  attempt(queue: QueueName, name: string, outcome: JobOutcome, seconds?: number): void {
    const labels = { queue, name: jobLabel(queue, name) };
    this.outcomes.inc({ ...labels, outcome });
    if (seconds !== undefined) this.durations.observe(labels, seconds);
  }

  /**
   * Counts of every watched queue, at most one read per `cacheMs` however often Prometheus (or
   * several) scrapes. A queue whose read fails or takes over `timeoutMs` (Redis down: the
   * connection queues commands instead of failing) is left out: no series beats a stale one.
   */
  private jobCounts(): Promise<Array<{ queue: string; counts: Record<string, number> }>> {
    const now = Date.now();
    if (this.counts && now - this.counts.at < this.cacheMs) return this.counts.values;
    const values = Promise.all(
      [...this.watched].map(async (q) => {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), this.timeoutMs)));
        const counts = await Promise.race([q.getJobCounts(...STATES).catch(() => null), timeout]).finally(() => clearTimeout(timer));
        return counts ? [{ queue: q.name, counts }] : [];
      }),
    ).then((lists) => lists.flat());
    this.counts = { at: now, values };
    return values;
  }
}
