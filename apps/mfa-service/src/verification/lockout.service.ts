import { Injectable } from '@nestjs/common';
import { AppError, ErrorCodes } from '@mfa/contracts';
import { MfaEvents } from '../events/mfa-events';
import { SessionRevocations } from '../sessions/session-revocations';
import { AccountFailureRepository } from './account-failure.repository';
import { VerifyState } from './verify-state';

/**
 * CONTRACT.md lockout: failed codes (verify, enable, resync, session issue) count per account;
 * after MFA_MAX_FAILURES in a row the account is locked for MFA_LOCKOUT_SECONDS from the moment
 * it began, even for a right code; a success resets the count. The count lives in Redis
 * (VerifyState, shared by every instance); a lockout is also written to Postgres as it starts.
 */
@Injectable()
export class LockoutService {
  constructor(
    private readonly state: VerifyState,
    private readonly lockouts: AccountFailureRepository,
    private readonly events: MfaEvents,
    private readonly sessions: SessionRevocations,
  ) {}

  async assertOpen(accountId: string, now: Date): Promise<void> {
    const [live, stored] = await Promise.all([this.state.lockedUntil(accountId, now), this.lockouts.lockedUntil(accountId, now)]);
    const until = live ?? stored;
    if (until) throw lockedOut(until);
  }

  /**
   * Counts a failure; the one that starts a lockout stores it and raises `verification.locked_out`.
   * Answers whether a lockout was already in force (a request that raced one: its answer is `locked_out`).
   */
  async fail(accountId: string, orgId: string, now: Date): Promise<boolean> {
    const { failures, lockedUntil, lockoutStarted } = await this.state.recordFailure(accountId, now);
    if (lockoutStarted && lockedUntil) {
      await this.lockouts.recordLockout(accountId, failures, lockedUntil, now);
      await this.events.auditNow({
        orgId,
        accountId,
        action: 'verification.locked_out',
        at: now,
        target: { type: 'account', id: accountId },
        details: { failures, lockedUntil: lockedUntil.toISOString() },
      });
      // someone is guessing codes: sessions issued before the lockout may be theirs
      await this.sessions.revokeNow({ orgId, accountId, serialNumber: null, reason: 'locked_out', at: now });
    }
    // the script reports a lockout only while it is in force
    return !lockoutStarted && lockedUntil !== null;
  }

  async reset(accountId: string, now: Date): Promise<void> {
    await this.state.reset(accountId, now);
  }
}

export function lockedOut(until: Date): AppError {
  return new AppError(ErrorCodes.LockedOut, `too many failed codes; try again after ${until.toISOString()}`);
}
