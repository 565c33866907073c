import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { type JobsOptions, Queue, Worker, type Processor, type WorkerOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { type JobName, type JobPayloads, QUEUE_PREFIX, QueueOfJob, type QueueName } from '@mfa/contracts';
import { ENFORCEMENT_OPTIONS, type EnforcementOptions } from './enforcement.options';

/** Jobs are small or bounded by a chunk; keep only failures around (and not forever). */
const JOB_DEFAULTS = { removeOnComplete: true, removeOnFail: { count: 1000 }, attempts: 5, backoff: { type: 'exponential', delay: 500 } };

/**
 * The BullMQ producers and workers of account-service's enforcement feature, on one shared
 * command connection (workers open their own blocking ones). Everything closes on shutdown.
 */
@Injectable()
export class EnforcementQueues implements OnModuleDestroy {
  private readonly logger = new Logger(EnforcementQueues.name);
  private readonly connection: Redis;
  private readonly queues = new Map<QueueName, Queue>();
  private readonly workers: Worker[] = [];

  constructor(@Inject(ENFORCEMENT_OPTIONS) private readonly options: EnforcementOptions) {
    // BullMQ refuses connections that give up on a command (blocking reads would fail)
    this.connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
    this.connection.on('error', (err) => this.logger.warn(`redis: ${err.message}`));
  }

  private queue(name: QueueName): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.connection, prefix: QUEUE_PREFIX });
      this.queues.set(name, q);
    }
    return q;
  }

  /** Adds a job on the queue its name belongs to. A `jobId` dedupes while that job exists. */
  async add<N extends JobName>(name: N, data: JobPayloads[N], opts: JobsOptions = {}): Promise<void> {
    await this.queue(QueueOfJob[name]).add(name, data, { ...JOB_DEFAULTS, ...opts } as JobsOptions);
  }

  /** Starts a worker; its failures are logged here (a job that failed for good is kept for a while). */
  work(queue: QueueName, processor: Processor, opts: Partial<WorkerOptions> = {}): Worker {
    const worker = new Worker(queue, processor, { connection: this.connection, prefix: QUEUE_PREFIX, ...opts });
    worker.on('failed', (job, err) => this.logger.error(`${queue} job ${job?.name} ${job?.id} failed (attempt ${job?.attemptsMade}): ${err.message}`));
    worker.on('error', (err) => this.logger.warn(`${queue} worker: ${err.message}`));
    this.workers.push(worker);
    return worker;
  }

  async onModuleDestroy(): Promise<void> {
    // workers first: an active job finishes (or hands itself back) before its producers close
    await Promise.all(this.workers.map((w) => w.close()));
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.connection.disconnect();
  }
}
