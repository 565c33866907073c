import { Inject, Injectable } from '@nestjs/common';
import { AppError, ErrorCodes } from '@mfa/contracts';
import { MfaServiceEnv } from '../config/mfa-service.env';
import { MfaEvents } from '../events/mfa-events';
import { AccountFailureRepository } from './account-failure.repository';

/**
 * CONTRACT.md lockout: failed codes (verify, enable, resync, session issue) count per account;
 * after MFA_MAX_FAILURES in a row the account is locked for MFA_LOCKOUT_SECONDS from the moment
 * it began, even for a right code; a success resets the count.
 */
@Injectable()
export class LockoutService {
  constructor(
    private readonly failures: AccountFailureRepository,
    private readonly events: MfaEvents,
    @Inject(MfaServiceEnv) private readonly env: MfaServiceEnv,
  ) {}

  async assertOpen(accountId: string, now: Date): Promise<void> {
    const until = await this.failures.lockedUntil(accountId, now);
    if (until) throw lockedOut(until);
  }

  /**
   * Counts a failure; the one that starts a lockout raises `verification.locked_out`. Answers
   * whether a lockout was already in force (a request that raced one: its answer is `locked_out`).
   */
  async fail(accountId: string, orgId: string | null, now: Date): Promise<boolean> {
    const outcome = await this.failures.recordFailure(accountId, now, this.env.MFA_MAX_FAILURES, this.env.MFA_LOCKOUT_SECONDS);
    if (outcome.lockoutStarted && orgId) {
      await this.events.auditNow({
        orgId,
        accountId,
        action: 'verification.locked_out',
        at: now,
        target: { type: 'account', id: accountId },
        details: { failures: outcome.failures, lockedUntil: outcome.lockedUntil?.toISOString() ?? null },
      });
    }
    return !outcome.lockoutStarted && outcome.lockedUntil !== null && outcome.lockedUntil > now;
  }

  async reset(accountId: string, now: Date): Promise<void> {
    await this.failures.reset(accountId, now);
  }
}

export function lockedOut(until: Date): AppError {
  return new AppError(ErrorCodes.LockedOut, `too many failed codes; try again after ${until.toISOString()}`);
}
