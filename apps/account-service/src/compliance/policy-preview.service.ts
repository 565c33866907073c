import { Injectable } from '@nestjs/common';
import { Clock } from '@mfa/clock';
import {
  AppError,
  ErrorCodes,
  type PolicyPreview,
  type PolicyPreviewRequest,
  PREVIEW_MAX_DAYS,
  PREVIEW_SAMPLE_SIZE,
  type PreviewMember,
} from '@mfa/contracts';
import { toMember, zeroByState } from '../accounts/member.mapper';
import { defaultOrgPolicy, proposedPolicy } from '../enforcement/compute-enforcement';
import { effectiveEnforcement, type GroupPolicyState, swapGroupPolicy } from '../enforcement/effective-enforcement';
import { toGroupPolicyState } from '../enforcement/group-policy.repository';
import { OrgPolicyRepository } from '../enforcement/org-policy.repository';
import { GroupRepository } from '../groups/group.repository';
import { PolicyPreviewRepository, type PreviewSampleRow } from './policy-preview.repository';
import { groupScope, orgScope, type PreviewScope } from './policy-preview.sql';

/**
 * Previews computed at once by one instance. Each is a full pass over an org's members (two
 * statements side by side, or with group policies the counts then a short sample read; ~1 s at
 * 1,000,000 on a quiet box, PolicyPreviewRepository.preview). Unbounded, one org's auditor key kept 20 in
 * flight over 300,000 members and another org's accounts.authorize went from 3 ms to 3 s (the
 * pool and Postgres' CPU taken); 2 at once still took it to 113 ms, 1 left it at 2 ms
 * (docs/security.md, "What each attacker can and cannot do").
 */
export const PREVIEW_MAX_IN_FLIGHT = 1;

/**
 * What a policy would do to the members if it were PUT now (docs/enforcement.md, "Policy
 * preview"): counts by state now and after, the days members would be blocked, a sample.
 * Reads only; evaluated at the injected clock's now, like the compliance report. An org policy
 * counts every member of the org; a group policy (`groupId`) the group's members, with the
 * proposal in place of the group's policy. Both judge the effective policy (org + groups).
 */
@Injectable()
export class PolicyPreviewService {
  constructor(
    private readonly policies: OrgPolicyRepository,
    private readonly groups: GroupRepository,
    private readonly repo: PolicyPreviewRepository,
    private readonly clock: Clock,
  ) {}

  private inFlight = 0;

  async preview(req: PolicyPreviewRequest): Promise<PolicyPreview> {
    if (this.inFlight >= PREVIEW_MAX_IN_FLIGHT)
      throw new AppError(ErrorCodes.RateLimited, 'another policy preview is being computed; retry in a few seconds');
    this.inFlight++;
    try {
      return await this.compute(req);
    } finally {
      this.inFlight--;
    }
  }

  private async compute(req: PolicyPreviewRequest): Promise<PolicyPreview> {
    const now = this.clock.now();
    const current = await this.policies.get(req.orgId);
    let scope: PreviewScope;
    /** the sample member's enforcement after, from its facts and current group policies */
    let after: (r: PreviewSampleRow) => ReturnType<typeof effectiveEnforcement>;
    if (req.groupId == null) {
      const proposed = proposedPolicy(current, req.policy, now);
      scope = orgScope(req.orgId, current, proposed, now);
      after = (r) => effectiveEnforcement(proposed, r.groupPolicies, r.facts, now);
    } else {
      // another org's group, or none: not_found (never a count of another org)
      const group = await this.groups.find(req.orgId, req.groupId);
      if (!group) throw AppError.notFound('group');
      const stored: GroupPolicyState = group.policy
        ? toGroupPolicyState(req.orgId, group.policy)
        : { ...defaultOrgPolicy(req.orgId), groupId: group.id };
      // what GroupPolicyRepository.applyIfNewer would store (requiredSince kept while it stays required)
      const proposed: GroupPolicyState = { ...proposedPolicy(stored, req.policy, now), groupId: group.id };
      scope = groupScope(req.orgId, group.id, current, proposed, now);
      after = (r) => effectiveEnforcement(current, swapGroupPolicy(r.groupPolicies, proposed, true), r.facts, now);
    }
    const result = await this.repo.preview(scope, { maxDays: PREVIEW_MAX_DAYS, sampleSize: PREVIEW_SAMPLE_SIZE });

    const byStateNow = zeroByState();
    const byStateAfter = zeroByState();
    let total = 0;
    for (const s of result.states) {
      byStateNow[s.now] += s.n;
      byStateAfter[s.after] += s.n;
      total += s.n;
    }
    const blockedAt = result.days.map((d) => ({ date: d.date, count: d.n }));
    // everyone pending, exempt or non_compliant after is blocked some day if nothing changes
    const blocked = byStateAfter.pending + byStateAfter.exempt + byStateAfter.non_compliant;
    const sample: PreviewMember[] = result.sample.map((r) => ({
      ...toMember(r.member, after(r)),
      blockedAt: r.blockedAt.toISOString(),
      stateNow: r.stateNow,
    }));
    return {
      at: now.toISOString(),
      members: { total, byStateNow, byStateAfter },
      blockedAt,
      blockedLater: blocked - blockedAt.reduce((sum, d) => sum + d.count, 0),
      sample,
    };
  }
}
