import { Injectable } from '@nestjs/common';
import { OnJob } from '@mfa/bus';
import { Jobs, type RolloutProgressJob } from '@mfa/contracts';
import { PolicyRepository } from './policy.repository';

/** org-service's side of the policy queues: it records the rollout progress account-service reports. */
@Injectable()
export class PolicyJobs {
  constructor(private readonly rollouts: PolicyRepository) {}

  @OnJob(Jobs.RolloutProgress)
  async rolloutProgress(progress: RolloutProgressJob): Promise<void> {
    await this.rollouts.applyProgress(progress);
  }
}
