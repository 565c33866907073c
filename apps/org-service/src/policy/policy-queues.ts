import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Job } from 'bullmq';
import { JobQueues } from '@mfa/bus';
import { type AuditEventJob, Jobs, Queues, type RolloutProgressJob } from '@mfa/contracts';
import { POLICY_OPTIONS, type PolicyOptions } from './policy.options';
import { PolicyRepository } from './policy.repository';

/**
 * org-service's side of the policy queues: it produces audit events and consumes rollout
 * progress reported by account-service. Closed on shutdown (worker first).
 */
@Injectable()
export class PolicyQueues extends JobQueues implements OnModuleInit, OnModuleDestroy {
  constructor(
    @Inject(POLICY_OPTIONS) options: PolicyOptions,
    private readonly rollouts: PolicyRepository,
  ) {
    super(options.redisUrl, PolicyQueues.name);
  }

  onModuleInit(): void {
    this.work(Queues.RolloutProgress, (job: Job<RolloutProgressJob>) => this.rollouts.applyProgress(job.data), { concurrency: 4 });
  }

  /** The event's own id is the job id: a re-delivered outbox row records it once. */
  async addAudit(event: AuditEventJob): Promise<void> {
    await this.add(Jobs.RecordAuditEvent, event, { jobId: event.id });
  }

  onModuleDestroy(): Promise<void> {
    return this.close();
  }
}
