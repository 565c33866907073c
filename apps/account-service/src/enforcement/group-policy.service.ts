import { Injectable } from '@nestjs/common';
import { AppError, type ApplyGroupPolicyRequest, type ApplyPolicyReply, Jobs, type PolicyMethodsCheckRequest } from '@mfa/contracts';
import { JobQueues } from '@mfa/bus';
import { intersectMethods } from './effective-enforcement';
import { GroupPolicyRepository } from './group-policy.repository';
import { OrgPolicyRepository } from './org-policy.repository';

/** BullMQ job id of a group version's materialization (distinct from the org's). */
export function materializeGroupJobId(groupId: string, version: number): string {
  return `materialize-group-${groupId}-v${version}`;
}

/** Group policies: the one write that puts every member of the group under it at once. */
@Injectable()
export class GroupPolicyService {
  constructor(
    private readonly groupPolicies: GroupPolicyRepository,
    private readonly orgPolicies: OrgPolicyRepository,
    private readonly queues: JobQueues,
  ) {}

  /**
   * Idempotent by version, like the org's. The materialization is (re)queued either way; for a
   * group deleted meanwhile it completes at once with nothing to do.
   */
  async apply(req: ApplyGroupPolicyRequest): Promise<ApplyPolicyReply> {
    const { policy } = req;
    // without it this would be read as the org's own version: refused, never guessed
    if (!policy.groupId) throw AppError.validation('policy.groupId: required', [{ field: 'policy.groupId', messages: ['required'] }]);
    const stored = await this.groupPolicies.applyIfNewer(policy);
    await this.queues.add(
      Jobs.MaterializePolicy,
      { orgId: policy.orgId, groupId: policy.groupId, rolloutId: req.rolloutId, policyVersion: policy.version },
      { jobId: materializeGroupJobId(policy.groupId, policy.version), removeOnFail: true },
    );
    // no member count on the PUT's path: the walk reports the total (as for the org's)
    return { accepted: stored !== null && stored.policy.version === policy.version, total: 0 };
  }

  /**
   * The refusal of an empty intersection of allowedMethods, before org-service writes a version:
   * a group's policy against the org's and every other group policy sharing a member with it;
   * the org's against every group policy that applies to someone.
   */
  async checkMethods(req: PolicyMethodsCheckRequest): Promise<{ ok: true }> {
    const clashes: string[] = [];
    if (req.groupId) {
      const org = await this.orgPolicies.get(req.orgId);
      if (intersectMethods(org.allowedMethods, req.allowedMethods).length === 0) clashes.push('the org policy');
    }
    for (const g of await this.groupPolicies.conflictingGroups(req.orgId, req.groupId ?? null, req.allowedMethods))
      clashes.push(`group ${g}`);
    if (clashes.length > 0) {
      const message = `allowedMethods: shares no method with ${clashes.join(', ')}: some member could enroll nothing`;
      throw AppError.validation(message, [{ field: 'allowedMethods', messages: [message] }]);
    }
    return { ok: true };
  }
}
