import { Injectable } from '@nestjs/common';
import { Clock } from '@mfa/clock';
import type { AuthorizeReply, AuthorizeRequest } from '@mfa/contracts';
import { AccountEnforcementRepository } from './account-enforcement.repository';
import { decideAuthorization } from './authorize-decision';
import { effectiveEnforcement } from './effective-enforcement';
import { SessionTokenVerifier } from './session-token.verifier';

/** `accounts.authorize`: "may this account act now?" from the state computed now and the token. */
@Injectable()
export class AuthorizeService {
  constructor(
    private readonly accounts: AccountEnforcementRepository,
    private readonly tokens: SessionTokenVerifier,
    private readonly clock: Clock,
  ) {}

  async authorize(req: AuthorizeRequest, now = this.clock.now()): Promise<AuthorizeReply> {
    // the revocations of the token's device come with the account: no extra round trip
    const found = await this.accounts.findWithPolicy(
      req.accountId,
      undefined,
      this.tokens.deviceOf(req.sessionToken),
      req.action !== undefined,
    );
    if (!found) return { allowed: false, reason: 'unknown_account', enforcement: null };
    // the member's effective policy: the org's and its groups' (docs/enforcement.md, "Groups")
    const enforcement = effectiveEnforcement(found.policy, found.groupPolicies, found.facts, now);
    const decision = await decideAuthorization({
      enforcement,
      policyMaxAge: enforcement.effectivePolicy!.maxMfaAgeSeconds,
      requestMaxAge: req.maxMfaAgeSeconds ?? null,
      // conditions united: the org's and every group policy's of the member
      conditions: [...found.policy.conditions, ...found.groupPolicies.flatMap((g) => g.conditions)],
      action: req.action ?? null,
      checkToken: () => this.tokens.check(req.sessionToken, found.accountId, now, found.sessionsRevokedBefore),
      now,
    });
    return { allowed: decision.allowed, reason: decision.reason, enforcement, condition: decision.condition };
  }
}
