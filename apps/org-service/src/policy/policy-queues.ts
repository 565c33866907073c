import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { type Job, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { type AuditEventJob, Jobs, QUEUE_PREFIX, Queues, type RolloutProgressJob } from '@mfa/contracts';
import { POLICY_OPTIONS, type PolicyOptions } from './policy.options';
import { PolicyRepository } from './policy.repository';

/**
 * org-service's side of the policy queues: it produces audit events and consumes rollout
 * progress reported by account-service. Closed on shutdown (worker first).
 */
@Injectable()
export class PolicyQueues implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(PolicyQueues.name);
  private readonly connection: Redis;
  private readonly audit: Queue;
  private worker?: Worker;

  constructor(
    @Inject(POLICY_OPTIONS) private readonly options: PolicyOptions,
    private readonly rollouts: PolicyRepository,
  ) {
    // BullMQ refuses connections that give up on a command
    this.connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
    this.connection.on('error', (err) => this.logger.warn(`redis: ${err.message}`));
    this.audit = new Queue(Queues.AuditEvents, { connection: this.connection, prefix: QUEUE_PREFIX });
  }

  onModuleInit(): void {
    this.worker = new Worker(Queues.RolloutProgress, (job: Job<RolloutProgressJob>) => this.rollouts.applyProgress(job.data), {
      connection: this.connection, prefix: QUEUE_PREFIX, concurrency: 4,
    });
    this.worker.on('failed', (job, err) => this.logger.error(`rollout progress ${job?.id} failed: ${err.message}`));
    this.worker.on('error', (err) => this.logger.warn(`rollout progress worker: ${err.message}`));
  }

  /** The event's own id is the job id: a re-delivered outbox row records it once. */
  async addAudit(event: AuditEventJob): Promise<void> {
    await this.audit.add(Jobs.RecordAuditEvent, event, { jobId: event.id, removeOnComplete: true, removeOnFail: { count: 1000 }, attempts: 5, backoff: { type: 'exponential', delay: 500 } });
  }

  async onModuleDestroy(): Promise<void> {
    await this.worker?.close();
    await this.audit.close();
    this.connection.disconnect();
  }
}
