import { Logger } from '@nestjs/common';
import {
  Job,
  type JobSchedulerTemplateOptions,
  type JobsOptions,
  Queue,
  type RepeatOptions,
  UnrecoverableError,
  Worker,
  type Processor,
  type WorkerOptions,
} from 'bullmq';
import { type JobName, type JobPayloads, QueueOfJob, type QueueName, queuePrefix } from '@mfa/contracts';
import type { InternalKey } from '@mfa/crypto';
import type { BusMetrics } from './bus-metrics';
import { isRequeue, jobLabel, JobOutcomes } from './jobs/job-metrics';
import { currentTraceparent, endSpan, parentContext, SpanAttributes, SpanKind, startSpan, Tracing, withSpan } from './tracing';
import { createRedis, isCluster, type RedisConnection } from './redis-connection';
import { parseTraceparent, TRACEPARENT_FIELD } from './wire';

/** Jobs are small or bounded by a chunk; keep only failures around, and not forever. */
export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  removeOnComplete: true,
  removeOnFail: { count: 1000 },
  attempts: 5,
  backoff: { type: 'exponential', delay: 500 },
};

/**
 * The field of a job's data that carries its signature: `InternalKey.signJob(queue, name,
 * data without it)`. Workers check it before the processor runs and hand the processor the
 * data without it. A wire name, like the queue and job names.
 */
export const JOB_SIG_FIELD = 'sig';

/**
 * The field of a job's data that carries the producer's span (W3C traceparent), when tracing is
 * on. It is signed with the payload and taken out, like `sig`, before the payload is validated
 * against its class and handed to the processor. A wire name.
 */
export const JOB_TRACEPARENT_FIELD = TRACEPARENT_FIELD;

/** Job data as it is stored: the payload, the producer's traceparent (when given) and the signature over both. */
export function signedJobData<T extends object>(
  key: InternalKey,
  queue: string,
  name: string,
  data: T,
  traceparent?: string,
): T & { sig: string } {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new Error(`job ${name}: data must be an object`);
  for (const field of [JOB_SIG_FIELD, JOB_TRACEPARENT_FIELD])
    if (field in data) throw new Error(`job ${name}: data already has a "${field}" field`);
  const signed = traceparent ? { ...data, [JOB_TRACEPARENT_FIELD]: traceparent } : data;
  return { ...signed, [JOB_SIG_FIELD]: key.signJob(queue, name, signed) };
}

/**
 * Takes the traceparent out of verified job data: the payload without it, and the traceparent
 * when it is a valid one (`invalid`: there was one, and it is ignored).
 */
export function splitTraceparent(payload: Record<string, unknown>): {
  payload: Record<string, unknown>;
  traceparent?: string;
  invalid: boolean;
} {
  if (!(JOB_TRACEPARENT_FIELD in payload)) return { payload, invalid: false };
  const { [JOB_TRACEPARENT_FIELD]: tp, ...rest } = payload;
  return parseTraceparent(tp) ? { payload: rest, traceparent: tp as string, invalid: false } : { payload: rest, invalid: true };
}

/** A job refused because the platform did not sign it (or signed it for another queue or name). */
export class JobSignatureError extends UnrecoverableError {
  constructor(message: string) {
    super(message);
    this.name = 'JobSignatureError';
  }
}

/**
 * The payload of a job whose signature is right, or a JobSignatureError saying what is wrong
 * (an UnrecoverableError: BullMQ fails it for good, no retries).
 */
export function verifiedJobData<T = unknown>(key: InternalKey, queue: string, job: Pick<Job, 'name' | 'data'>): T {
  const data: unknown = job.data;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new JobSignatureError(`unsigned job: data is not an object`);
  const { [JOB_SIG_FIELD]: sig, ...payload } = data as Record<string, unknown>;
  if (sig === undefined) throw new JobSignatureError('unsigned job: no signature');
  if (!key.verifyJob(queue, job.name, payload, sig))
    throw new JobSignatureError(`bad signature: not signed by the platform for ${queue}/${job.name}`);
  return payload as T;
}

/** A job for addBulk: its name decides the queue and the payload type. */
export type BulkJob = { [N in JobName]: { name: N; data: JobPayloads[N]; opts?: JobsOptions } }[JobName];

/**
 * The durable-queue side of the bus: BullMQ producers and workers on the registry's queues,
 * sharing one command connection (workers open their own blocking ones). A job goes on the
 * queue its name belongs to (`QueueOfJob`), with its payload type checked. Close it on
 * shutdown: workers finish their job in flight first, then queues and the connection close.
 *
 * Every job added here is signed with the platform's internal key, and every worker started
 * here runs the processor only for jobs whose signature is right: a job added to a queue by
 * anyone else with access to Redis is failed for good, unprocessed (docs/security.md).
 */
export interface JobQueuesOptions {
  /** trace_context_invalid_total{source="job"}; none: not counted */
  metrics?: BusMetrics;
  /** the app's name on its job spans (`account-service`); default the owner */
  serviceName?: string;
}

export class JobQueues {
  private readonly logger: Logger;
  private readonly serviceName: string;
  private readonly connection: RedisConnection;
  private readonly queues = new Map<QueueName, Queue>();
  private readonly workers: Worker[] = [];
  private readonly stopper = new AbortController();

  constructor(
    redisUrl: string,
    private readonly key: InternalKey,
    owner = 'JobQueues',
    private readonly options: JobQueuesOptions = {},
  ) {
    this.logger = new Logger(owner);
    this.serviceName = options.serviceName ?? owner;
    // BullMQ refuses connections that give up on a command (its blocking reads would fail)
    this.connection = createRedis(redisUrl, { maxRetriesPerRequest: null, lazyConnect: true });
    this.connection.on('error', (err: Error) => this.logger.warn(`redis: ${err.message}`));
  }

  /** The queue's key prefix: one hash tag per queue on a cluster, so queues spread over its nodes (queuePrefix). */
  prefixOf(queue: QueueName): string {
    return queuePrefix(queue, isCluster(this.connection));
  }

  /** Aborted when close() starts: a long job stops at its next step (JobContext.stopping). */
  get stopping(): AbortSignal {
    return this.stopper.signal;
  }

  queue(name: QueueName): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.connection, prefix: this.prefixOf(name) });
      this.queues.set(name, q);
    }
    return q;
  }

  /** Adds a job on its queue. A `jobId` dedupes while a job with that id exists. */
  async add<N extends JobName>(name: N, data: JobPayloads[N], opts: JobsOptions = {}): Promise<string | undefined> {
    const queue = QueueOfJob[name];
    const job = await this.queue(queue).add(name, signedJobData(this.key, queue, name, data, currentTraceparent()), {
      ...DEFAULT_JOB_OPTIONS,
      ...opts,
    });
    return job.id;
  }

  /** Many jobs, of any names, in one round trip per queue. */
  async addBulk(jobs: BulkJob[]): Promise<void> {
    const traceparent = currentTraceparent();
    const byQueue = new Map<QueueName, BulkJob[]>();
    for (const job of jobs) {
      const queue = QueueOfJob[job.name];
      const list = byQueue.get(queue);
      if (list) list.push(job);
      else byQueue.set(queue, [job]);
    }
    await Promise.all(
      [...byQueue].map(([queue, list]) =>
        this.queue(queue).addBulk(
          list.map((j) => ({
            name: j.name,
            data: signedJobData(this.key, queue, j.name, j.data, traceparent),
            opts: { ...DEFAULT_JOB_OPTIONS, ...j.opts },
          })),
        ),
      ),
    );
  }

  /**
   * A repeatable job (one BullMQ job scheduler per id, upserted): the template's data is signed
   * once here, so every job the scheduler produces carries the signature.
   */
  async upsertScheduler<N extends JobName>(
    schedulerId: string,
    repeat: Omit<RepeatOptions, 'key'>,
    template: { name: N; data: JobPayloads[N]; opts?: JobSchedulerTemplateOptions },
  ): Promise<void> {
    const queue = QueueOfJob[template.name];
    await this.queue(queue).upsertJobScheduler(schedulerId, repeat, {
      name: template.name,
      data: signedJobData(this.key, queue, template.name, template.data),
      opts: template.opts,
    });
  }

  /** Makes delayed jobs due now; jobs already promoted, running or gone are left as they are. */
  async promote(queue: QueueName, ids: string[]): Promise<void> {
    const q = this.queue(queue);
    // a bare handle: promoting needs the id only, and getJob would read each job's whole payload
    // (a rollout's notice names 10,000 accounts: 100 of them took 2 s at 1,000,000 members).
    // promote() refuses a job that is not delayed or is gone: that refusal is the "left as it is"
    await Promise.all(ids.map((id) => new Job(q, '', {}, {}, id).promote().catch(() => undefined)));
  }

  /**
   * Starts a worker; failures are logged here (a job that failed for good is kept for a while).
   * The processor sees only jobs the platform signed, with the signature taken out of `data`;
   * any other job fails at once, for good, with the reason in its failedReason and a warning.
   */
  work(queue: QueueName, processor: Processor, opts: Partial<WorkerOptions> = {}): Worker {
    const verified: Processor = async (job, token, signal) => {
      const { payload, traceparent, invalid } = splitTraceparent(verifiedJobData<Record<string, unknown>>(this.key, queue, job));
      if (invalid) this.options.metrics?.invalidTraceContext('job');
      job.data = payload;
      if (!Tracing.enabled) return (await processor(job, token, signal)) as unknown;
      // one span per attempt, a child of the producer's span (its traceparent was signed with the data)
      const span = startSpan(
        this.serviceName,
        job.name,
        SpanKind.CONSUMER,
        {
          [SpanAttributes.Queue]: queue,
          [SpanAttributes.JobName]: jobLabel(queue, job.name),
          [SpanAttributes.Attempt]: job.attemptsMade + 1,
        },
        parentContext(traceparent),
      );
      try {
        const result = (await withSpan(span, () => processor(job, token, signal))) as unknown;
        endSpan(span, JobOutcomes.Completed);
        return result;
      } catch (err) {
        endSpan(
          span,
          isRequeue(err)
            ? JobOutcomes.Requeued
            : (err as Error | undefined)?.name === 'JobPayloadError'
              ? JobOutcomes.Invalid
              : JobOutcomes.Failed,
        );
        throw err;
      }
    };
    const worker = new Worker(queue, verified, { connection: this.connection, prefix: this.prefixOf(queue), ...opts });
    worker.on('failed', (job, err) => {
      if (err instanceof JobSignatureError || err.name === 'JobPayloadError')
        this.logger.warn(`${queue} job ${job?.name} ${job?.id} refused, not processed: ${err.message}`);
      else this.logger.error(`${queue} job ${job?.name} ${job?.id} failed (attempt ${job?.attemptsMade}): ${err.message}`);
    });
    worker.on('error', (err) => this.logger.warn(`${queue} worker: ${err.message}`));
    this.workers.push(worker);
    return worker;
  }

  async close(): Promise<void> {
    this.stopper.abort();
    await Promise.all(this.workers.map((w) => w.close()));
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.connection.disconnect();
  }
}
