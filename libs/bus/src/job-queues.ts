import { Logger } from '@nestjs/common';
import { type JobsOptions, Queue, Worker, type Processor, type WorkerOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { type JobName, type JobPayloads, QUEUE_PREFIX, QueueOfJob, type QueueName } from '@mfa/contracts';

/** Jobs are small or bounded by a chunk; keep only failures around, and not forever. */
export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  removeOnComplete: true,
  removeOnFail: { count: 1000 },
  attempts: 5,
  backoff: { type: 'exponential', delay: 500 },
};

/** A job for addBulk: its name decides the queue and the payload type. */
export type BulkJob = { [N in JobName]: { name: N; data: JobPayloads[N]; opts?: JobsOptions } }[JobName];

/**
 * The durable-queue side of the bus: BullMQ producers and workers on the registry's queues,
 * sharing one command connection (workers open their own blocking ones). A job goes on the
 * queue its name belongs to (`QueueOfJob`), with its payload type checked. Close it on
 * shutdown: workers finish their job in flight first, then queues and the connection close.
 */
export class JobQueues {
  private readonly logger: Logger;
  private readonly connection: Redis;
  private readonly queues = new Map<QueueName, Queue>();
  private readonly workers: Worker[] = [];

  constructor(redisUrl: string, owner = 'JobQueues') {
    this.logger = new Logger(owner);
    // BullMQ refuses connections that give up on a command (its blocking reads would fail)
    this.connection = new Redis(redisUrl, { maxRetriesPerRequest: null, lazyConnect: true });
    this.connection.on('error', (err) => this.logger.warn(`redis: ${err.message}`));
  }

  queue(name: QueueName): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.connection, prefix: QUEUE_PREFIX });
      this.queues.set(name, q);
    }
    return q;
  }

  /** Adds a job on its queue. A `jobId` dedupes while a job with that id exists. */
  async add<N extends JobName>(name: N, data: JobPayloads[N], opts: JobsOptions = {}): Promise<string | undefined> {
    const job = await this.queue(QueueOfJob[name]).add(name, data, { ...DEFAULT_JOB_OPTIONS, ...opts });
    return job.id;
  }

  /** Many jobs, of any names, in one round trip per queue. */
  async addBulk(jobs: BulkJob[]): Promise<void> {
    const byQueue = new Map<QueueName, BulkJob[]>();
    for (const job of jobs) {
      const queue = QueueOfJob[job.name];
      const list = byQueue.get(queue);
      if (list) list.push(job);
      else byQueue.set(queue, [job]);
    }
    await Promise.all(
      [...byQueue].map(([queue, list]) => this.queue(queue).addBulk(list.map((j) => ({ name: j.name, data: j.data, opts: { ...DEFAULT_JOB_OPTIONS, ...j.opts } })))),
    );
  }

  /** Starts a worker; failures are logged here (a job that failed for good is kept for a while). */
  work(queue: QueueName, processor: Processor, opts: Partial<WorkerOptions> = {}): Worker {
    const worker = new Worker(queue, processor, { connection: this.connection, prefix: QUEUE_PREFIX, ...opts });
    worker.on('failed', (job, err) => this.logger.error(`${queue} job ${job?.name} ${job?.id} failed (attempt ${job?.attemptsMade}): ${err.message}`));
    worker.on('error', (err) => this.logger.warn(`${queue} worker: ${err.message}`));
    this.workers.push(worker);
    return worker;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.connection.disconnect();
  }
}
