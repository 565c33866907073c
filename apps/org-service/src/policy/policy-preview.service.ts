import { Injectable } from '@nestjs/common';
import { Bus } from '@mfa/bus';
import { InternalPatterns, type PolicyPreview } from '@mfa/contracts';
import type { PreviewPolicyDto } from './dto/policy.dto';
import { PolicyService } from './policy.service';

/** One pass over a million members takes about a second; the default bus deadline (5 s) is too tight on a busy box. */
const PREVIEW_TIMEOUT_MS = 30_000;

/**
 * The policy preview: account-service holds the members, so it computes the figures (one
 * set-based pass, docs/enforcement.md "Policy preview"); nothing is written, nothing audited.
 */
@Injectable()
export class PolicyPreviewService {
  constructor(
    private readonly bus: Bus,
    private readonly policies: PolicyService,
  ) {}

  /** The PUT's own checks first (a group of another org: not_found; an empty intersection: validation_failed). */
  async preview(orgId: string, body: PreviewPolicyDto): Promise<PolicyPreview> {
    await this.policies.check(orgId, body.groupId ?? null, body);
    return this.bus.send(
      InternalPatterns.AccountsPolicyPreview,
      {
        orgId,
        // the fields the rule reads; the rest of the body is validated here and changes no state
        policy: {
          requireMfa: body.requireMfa,
          gracePeriodHours: body.gracePeriodHours,
          secureMethodsOnly: body.secureMethodsOnly ?? false,
        },
        // null is "no group", as absent
        ...(body.groupId != null ? { groupId: body.groupId } : {}),
      },
      { timeoutMs: PREVIEW_TIMEOUT_MS },
    );
  }
}
