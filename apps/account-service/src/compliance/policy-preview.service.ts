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
import { computeEnforcement, proposedPolicy } from '../enforcement/compute-enforcement';
import { OrgPolicyRepository } from '../enforcement/org-policy.repository';
import { PolicyPreviewRepository } from './policy-preview.repository';
import { orgScope } from './policy-preview.sql';

/**
 * Previews computed at once by one instance. Each is a full pass over an org's members, two
 * statements side by side (~1 s at 1,000,000). Unbounded, one org's auditor key kept 20 in
 * flight over 300,000 members and another org's accounts.authorize went from 3 ms to 3 s (the
 * pool and Postgres' CPU taken); 2 at once still took it to 113 ms, 1 left it at 2 ms
 * (docs/security.md, "What each attacker can and cannot do").
 */
export const PREVIEW_MAX_IN_FLIGHT = 1;

/**
 * What a policy would do to the members if it were PUT now (docs/enforcement.md, "Policy
 * preview"): counts by state now and after, the days members would be blocked, a sample.
 * Reads only; evaluated at the injected clock's now, like the compliance report.
 */
@Injectable()
export class PolicyPreviewService {
  constructor(
    private readonly policies: OrgPolicyRepository,
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
    if (req.groupId !== undefined)
      // the groups branch plugs its scope in here (policy-preview.sql.ts, PreviewScope)
      throw AppError.validation('groupId: groups are not available yet', [
        { field: 'groupId', messages: ['groups are not available yet'] },
      ]);
    const now = this.clock.now();
    const current = await this.policies.get(req.orgId);
    const proposed = proposedPolicy(current, req.policy, now);
    const result = await this.repo.preview(orgScope(req.orgId, current, proposed, now), {
      maxDays: PREVIEW_MAX_DAYS,
      sampleSize: PREVIEW_SAMPLE_SIZE,
    });

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
      ...toMember(r.member, computeEnforcement(proposed, r.facts, now)),
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
