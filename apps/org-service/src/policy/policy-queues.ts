import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Job } from 'bullmq';
import { JobQueues } from '@mfa/bus';
import { Queues, type RolloutProgressJob } from '@mfa/contracts';
import { POLICY_OPTIONS, type PolicyOptions } from './policy.options';
import { PolicyRepository } from './policy.repository';

/**
 * org-service's side of the policy queues: it consumes the rollout progress account-service
 * reports. Closed on shutdown (worker first).
 */
@Injectable()
export class PolicyQueues extends JobQueues implements OnModuleInit, OnModuleDestroy {
  constructor(
    @Inject(POLICY_OPTIONS) options: PolicyOptions,
    private readonly rollouts: PolicyRepository,
  ) {
    super(options.redisUrl, options.internalKey, PolicyQueues.name);
  }

  onModuleInit(): void {
    this.work(Queues.RolloutProgress, (job: Job<RolloutProgressJob>) => this.rollouts.applyProgress(job.data), { concurrency: 4 });
  }

  onModuleDestroy(): Promise<void> {
    return this.close();
  }
}
