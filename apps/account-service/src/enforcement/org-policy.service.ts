import { Injectable } from '@nestjs/common';
import { type ApplyPolicyReply, type ApplyPolicyRequest, Jobs, type MfaPolicy } from '@mfa/contracts';
import { toWirePolicy } from './compute-enforcement';
import { JobQueues } from '@mfa/bus';
import { OrgPolicyRepository } from './org-policy.repository';

/** BullMQ job ids may not contain a single ':'; this one dedupes a version's materialization. */
export function materializeJobId(orgId: string, version: number): string {
  return `materialize-${orgId}-v${version}`;
}

/** The org-level policy: the one write that puts every member under it at once. */
@Injectable()
export class OrgPolicyService {
  constructor(
    private readonly policies: OrgPolicyRepository,
    private readonly queues: JobQueues,
  ) {}

  /**
   * Idempotent by version: an older or equal version never replaces the stored one. The
   * materialization is (re)queued either way, so a re-hand-over after a lost job or a FLUSHDB
   * finishes the rollout; the job id dedupes it while one is still queued or running.
   */
  async apply(req: ApplyPolicyRequest): Promise<ApplyPolicyReply> {
    const { policy } = await this.policies.applyIfNewer(req.policy);
    await this.queues.add(
      Jobs.MaterializePolicy,
      { orgId: req.policy.orgId, rolloutId: req.rolloutId, policyVersion: req.policy.version },
      // a failed job must not block a later re-hand-over with the same id
      { jobId: materializeJobId(req.policy.orgId, req.policy.version), removeOnFail: true },
    );
    // nothing here counts or touches members (the PUT waits for this answer): the walk counts
    // them, beside its first chunk, and reports the total with its progress
    return { accepted: policy.version === req.policy.version, total: 0 };
  }

  async get(orgId: string): Promise<MfaPolicy> {
    return toWirePolicy(await this.policies.get(orgId));
  }
}
