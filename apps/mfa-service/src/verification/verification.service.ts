import { Injectable } from '@nestjs/common';
import type { MfaMethod, VerifyFailureReason, VerifyReply } from '@mfa/contracts';
import { constantTimeEqual } from '@mfa/crypto';
import { seedAad } from '../common/aad';
import { Clock } from '../common/clock';
import { KeyMaterial } from '../common/key-material';
import { RecoveryCodesService } from '../recovery/recovery-codes.service';
import { normalizeRecoveryCode } from '../recovery/recovery-code-format';
import { findStep, looksLikeOtp, timeStep, VERIFY_WINDOW_STEPS } from '../totp/totp';
import { type Attempt, LockoutService } from './lockout.service';
import { VerificationRepository, type VerifyRow } from './verification.repository';
import { VerifyMetrics } from './verify-metrics';
import { type StepOutcome, VerifyState } from './verify-state';
import { MfaEvents } from '../events/mfa-events';

export type CheckOutcome =
  | { valid: true; method: MfaMethod | 'recovery_code'; serialNumber: string | null; orgId: string; at: Date }
  | { valid: false; reason: VerifyFailureReason };

type ActiveDevice = VerifyRow & { id: string; type: MfaMethod; serial_number: string; org_id: string };

/**
 * The hot path: is this code right for this account now? One read (lockout, active devices,
 * org methods; shared by the requests in flight), an attempt reserved in Redis (LockoutService),
 * the code checked in memory, then one atomic compare-and-set in Redis that makes each TOTP step count once however many instances receive
 * it at once (VerifyState); the step is written behind to Postgres. SMS and recovery codes are
 * single use by their own Postgres statements.
 */
@Injectable()
export class VerificationService {
  constructor(
    private readonly repo: VerificationRepository,
    private readonly state: VerifyState,
    private readonly lockout: LockoutService,
    private readonly recovery: RecoveryCodesService,
    private readonly keys: KeyMaterial,
    private readonly events: MfaEvents,
    private readonly metrics: VerifyMetrics,
    private readonly clock: Clock,
  ) {}

  async verify(accountId: string, code: string, serialNumber?: string): Promise<VerifyReply> {
    const outcome = await this.check(accountId, code, serialNumber);
    if (!outcome.valid) return { valid: false, reason: outcome.reason };
    return { valid: true, serialNumber: outcome.serialNumber, method: outcome.method, verifiedAt: outcome.at.toISOString() };
  }

  /** Checks a code and counts a failure; shared by mfa.verify and mfa.sessions.issue. */
  async check(accountId: string, rawCode: string, serialNumber?: string): Promise<CheckOutcome> {
    const done = this.metrics.start();
    const outcome = await this.checkUntimed(accountId, rawCode.replace(/\s/g, ''), serialNumber ?? null);
    done(outcome.valid ? 'valid' : outcome.reason, outcome.valid ? outcome.method : undefined);
    return outcome;
  }

  private async checkUntimed(accountId: string, code: string, serialNumber: string | null): Promise<CheckOutcome> {
    const now = this.clock.now();
    const rows = await this.repo.load(accountId, serialNumber);
    const devices = rows.filter((r): r is ActiveDevice => r.id !== null);
    // recovery codes are tried only when the code cannot be a TOTP/SMS code: scrypt is slow
    const recovery = !looksLikeOtp(code) && serialNumber === null && normalizeRecoveryCode(code) !== null;
    if (!recovery && devices.length === 0) return { valid: false, reason: 'no_active_device' };

    // reserved before the code is checked: the lockout is decided with the attempt, not before it
    const lockedUntil = rows[0]?.locked_until && rows[0].locked_until > now ? rows[0].locked_until : null;
    const attempt = await this.lockout.attempt(accountId, now, { lockedUntil, failures: rows[0]?.stored_failures ?? 0 });
    if (!attempt) return { valid: false, reason: 'locked_out' };
    try {
      return await this.checkAttempt(attempt, devices, code, recovery);
    } finally {
      await attempt.release();
    }
  }

  private async checkAttempt(attempt: Attempt, devices: ActiveDevice[], code: string, recovery: boolean): Promise<CheckOutcome> {
    const { accountId, now } = attempt;
    if (recovery) {
      const used = await this.recovery.use(accountId, code, now);
      if (used.status === 'used') {
        await attempt.succeed();
        await this.events.auditNow({
          orgId: used.orgId,
          accountId,
          action: 'recovery_code.used',
          at: now,
          target: { type: 'account', id: accountId },
          details: { remaining: used.remaining },
        });
        return { valid: true, method: 'recovery_code', serialNumber: null, orgId: used.orgId, at: now };
      }
      if (used.status === 'wrong') return this.failed(attempt, used.orgId);
    }

    if (devices.length === 0) return { valid: false, reason: 'no_active_device' };
    const allowed = devices.filter((d) => !d.allowed_methods || d.allowed_methods.includes(d.type));
    if (allowed.length === 0) return { valid: false, reason: 'method_not_allowed' };
    if (!looksLikeOtp(code)) return this.failed(attempt, devices[0].org_id);

    const step = timeStep(now);
    for (const device of allowed) {
      const matched = device.type === 'totp' ? this.matchTotp(device, code, step) : this.matchSms(device, code, now);
      if (matched === null) continue;
      const outcome = device.type === 'totp' ? await this.acceptTotp(device, attempt, matched) : await this.acceptSms(device, attempt);
      if (outcome === 'locked') return { valid: false, reason: 'locked_out' };
      // a lost race (the same code accepted by another request) is a replay: plain invalid_code
      if (outcome === 'replayed') break;
      return { valid: true, method: device.type, serialNumber: device.serial_number, orgId: device.org_id, at: now };
    }
    return this.failed(attempt, devices[0].org_id);
  }

  private async acceptTotp(device: ActiveDevice, attempt: Attempt, step: number): Promise<StepOutcome> {
    const outcome = await this.state.acceptStep(attempt.accountId, device.id, step, attempt.now, attempt.id);
    if (outcome === 'accepted') {
      await attempt.accepted();
      this.repo.recordUse(device.id, step, attempt.now);
    }
    return outcome;
  }

  /** The reservation held means no lockout can start meanwhile: the single-use statement decides. */
  private async acceptSms(device: ActiveDevice, attempt: Attempt): Promise<StepOutcome> {
    if (!(await this.repo.consumeSmsCode(device.id, device.sms_code_hash!, attempt.now))) return 'replayed';
    await attempt.succeed();
    return 'accepted';
  }

  /** The matching step within one step of now + drift and after the last accepted step. */
  private matchTotp(device: ActiveDevice, code: string, step: number): number | null {
    const key = this.keys.envelope.decrypt(device.secret_enc!, seedAad(device.id));
    try {
      const center = step + (device.drift_steps ?? 0);
      const after = device.last_step === null ? -Infinity : Number(device.last_step) + 1;
      return findStep(key, code, Math.max(center - VERIFY_WINDOW_STEPS, after), center + VERIFY_WINDOW_STEPS, center);
    } finally {
      key.fill(0);
    }
  }

  private matchSms(device: ActiveDevice, code: string, now: Date): 0 | null {
    if (!device.sms_code_hash || !device.sms_code_expires_at || device.sms_code_expires_at <= now) return null;
    return constantTimeEqual(this.keys.hashSmsCode(device.id, code), device.sms_code_hash) ? 0 : null;
  }

  private async failed(attempt: Attempt, orgId: string): Promise<CheckOutcome> {
    const lockedBefore = await attempt.fail(orgId);
    return { valid: false, reason: lockedBefore ? 'locked_out' : 'invalid_code' };
  }
}
