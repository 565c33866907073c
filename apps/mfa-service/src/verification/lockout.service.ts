import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AppError, ErrorCodes } from '@mfa/contracts';
import { SecurityMetrics } from '@mfa/observability';
import { MfaEvents } from '../events/mfa-events';
import { SessionRevocations } from '../tokens/session-revocations';
import { MfaServiceEnv } from '../config/mfa-service.env';
import { ActiveDeviceCache } from '../devices/active-device-cache';
import { AccountFailureRepository, type StoredFailures } from './account-failure.repository';
import { type FailureOutcome, VerifyState } from './verify-state';

/**
 * docs/mfa.md "Failures and lockout": failed codes (verify, enable, resync, session issue) count per account;
 * after MFA_MAX_FAILURES in a row the account is locked for MFA_LOCKOUT_SECONDS from the moment
 * it began, even for a right code; a success resets the count. The live count lives in Redis
 * (VerifyState, shared by every instance); every failure is also counted in Postgres and every
 * lockout written there as it starts, so editing Redis lifts neither.
 *
 * Every code path reserves an attempt before it checks the code (`attempt`), so the lockout is
 * decided atomically with the attempt: failures + attempts in flight never exceed the max.
 */
/** Lockouts an instance remembers (see `lockedHere`); past this many, the ended ones go, then the oldest. */
const REMEMBERED_LOCKOUTS = 100_000;

@Injectable()
export class LockoutService {
  /**
   * account -> the end (ms) of a lockout Postgres answered while counting a failure here. The
   * verify read is Redis' (the device cache), so someone who can write to Redis could put back an
   * entry from before the lockout and delete the live hash; Postgres still answers every failure
   * with the lockout in force, and from then on this instance refuses the account unchecked: at
   * most one extra guess per instance per lockout (docs/security.md).
   */
  private readonly lockedHere = new Map<string, number>();

  constructor(
    @Inject(MfaServiceEnv) private readonly env: MfaServiceEnv,
    private readonly state: VerifyState,
    private readonly lockouts: AccountFailureRepository,
    private readonly events: MfaEvents,
    private readonly sessions: SessionRevocations,
    private readonly metrics: SecurityMetrics,
    private readonly cache: ActiveDeviceCache,
  ) {}

  /**
   * Reserves an attempt (null: refused, answer `locked_out`). `stored` is what Postgres holds
   * when the caller already read it; otherwise it is read here.
   */
  async attempt(accountId: string, now: Date, stored?: StoredFailures): Promise<Attempt | null> {
    if (stored?.lockedUntil && stored.lockedUntil > now) return null;
    if (this.knownLocked(accountId, now)) return null;
    // reserved first, so concurrent attempts reserve in the order they came (no read before it)
    const id = randomUUID();
    const r = await this.state.reserve(accountId, id, now);
    if (!r.reserved) return null;
    const known = stored ?? (await this.lockouts.stored(accountId, now));
    if (known.lockedUntil) {
      await this.state.release(accountId, id);
      return null;
    }
    return new Attempt(this, this.state, accountId, id, now, known.failures);
  }

  /** `attempt`, or the `locked_out` error (enable, resync). */
  async attemptOrThrow(accountId: string, now: Date): Promise<Attempt> {
    const attempt = await this.attempt(accountId, now);
    if (!attempt) throw lockedOut(null);
    return attempt;
  }

  /**
   * Counts a failure; the one that starts a lockout stores it and raises `verification.locked_out`.
   * Answers whether a lockout was already in force (a request that raced one: its answer is `locked_out`).
   */
  async fail(accountId: string, orgId: string, now: Date, reservationId?: string): Promise<boolean> {
    return this.counted(accountId, orgId, now, await this.state.recordFailure(accountId, now, reservationId));
  }

  /** A failure Redis has counted (`live`, by recordFailure or VerifyState.decide): Postgres' count, the lockout's start. */
  async counted(accountId: string, orgId: string, now: Date, live: FailureOutcome): Promise<boolean> {
    // the stored count is the floor: a Redis that lost (or had its count deleted) still locks out
    const stored = await this.lockouts.countFailure(accountId, now);
    if (stored.lockedUntil && stored.lockedUntil > now) this.remember(accountId, stored.lockedUntil);
    const due = live.lockoutStarted || (live.lockedUntil === null && stored.failures >= this.env.MFA_MAX_FAILURES);
    const failures = Math.max(live.failures, stored.failures);
    const lockedUntil = live.lockedUntil ?? new Date(now.getTime() + this.env.MFA_LOCKOUT_SECONDS * 1000);
    // either count may reach the limit first; the lockout starts once (the first to store it)
    if (due && (await this.lockouts.startLockout(accountId, failures, lockedUntil, now))) {
      this.remember(accountId, lockedUntil);
      // the device cache holds the stored lockout too: the next read loads it from Postgres
      await this.cache.invalidate(accountId);
      this.metrics.lockoutStarted();
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
    // the script reports a lockout only while it is in force: one already in force when this failure came
    return !live.lockoutStarted && live.lockedUntil !== null;
  }

  /** A lockout Postgres answered to this instance, still in force. */
  knownLocked(accountId: string, now: Date): boolean {
    const until = this.lockedHere.get(accountId.toLowerCase());
    if (until === undefined) return false;
    if (until > now.getTime()) return true;
    this.lockedHere.delete(accountId.toLowerCase());
    return false;
  }

  private remember(accountId: string, until: Date): void {
    if (this.lockedHere.size >= REMEMBERED_LOCKOUTS) {
      const now = Date.now();
      for (const [id, end] of this.lockedHere) if (end <= now) this.lockedHere.delete(id);
      for (const id of this.lockedHere.keys()) {
        if (this.lockedHere.size < REMEMBERED_LOCKOUTS) break;
        this.lockedHere.delete(id);
      }
    }
    this.lockedHere.set(accountId.toLowerCase(), until.getTime()); // any spelling of the uuid
  }

  /** A success clears the stored count too, when there is one (the live one is cleared by its script). */
  async succeeded(accountId: string, now: Date, storedFailures: number): Promise<void> {
    if (storedFailures > 0) await this.lockouts.clearFailures(accountId, now);
  }

  /** `succeeded` for a verdict of VerifyState.decide (its attempt was never reserved). */
  async accepted(accountId: string, now: Date, pgFailures: boolean, storedFailures: number): Promise<void> {
    await this.succeeded(accountId, now, pgFailures ? 1 : storedFailures);
  }
}

/**
 * One reserved attempt at a code. Settle it once: `accepted` (TOTP, through VerifyState.acceptStep
 * with `id`), `succeed`, `fail`; `release` in a finally frees it when none of these ran.
 */
export class Attempt {
  private settled = false;

  constructor(
    private readonly lockout: LockoutService,
    private readonly state: VerifyState,
    readonly accountId: string,
    readonly id: string,
    readonly now: Date,
    /** failures Postgres held when the attempt began: a success clears them */
    private readonly storedFailures: number,
  ) {}

  /** The code was right (the reservation goes and the count resets). */
  async succeed(): Promise<void> {
    this.settled = true;
    const pgFailures = await this.state.reset(this.accountId, this.now, this.id);
    await this.lockout.succeeded(this.accountId, this.now, pgFailures ? 1 : this.storedFailures);
  }

  /** A TOTP step accepted by VerifyState.acceptStep(…, attempt.id) settled it already. */
  async accepted(pgFailures = false): Promise<void> {
    this.settled = true;
    await this.lockout.succeeded(this.accountId, this.now, pgFailures ? 1 : this.storedFailures);
  }

  /** The code was wrong: answers whether a lockout was already in force. */
  async fail(orgId: string): Promise<boolean> {
    this.settled = true;
    return this.lockout.fail(this.accountId, orgId, this.now, this.id);
  }

  /** No verdict on the code (no device, not allowed, an error): the attempt does not count. */
  async release(): Promise<void> {
    if (this.settled) return;
    this.settled = true;
    await this.state.release(this.accountId, this.id);
  }
}

export function lockedOut(until: Date | null): AppError {
  return new AppError(
    ErrorCodes.LockedOut,
    until ? `too many failed codes; try again after ${until.toISOString()}` : 'too many failed codes; try again later',
  );
}
