import { Injectable } from '@nestjs/common';
import type { VerificationMethod, VerifyFailureReason, VerifyReply } from '@mfa/contracts';
import { Clock } from '../common/clock';
import { RecoveryCodesService } from '../recovery/recovery-codes.service';
import { normalizeRecoveryCode } from '../recovery/recovery-code-format';
import { type ActiveDevice, isCodeProof, type Proof } from '../methods/device-method';
import { allowedDevices, storedLockout } from './verify-rows';
import { MethodRegistry } from '../methods/method-registry';
import { asProof } from '../methods/proof-of-request';
import { type Attempt, LockoutService } from './lockout.service';
import { VerificationRepository } from './verification.repository';
import { VerifyMetrics } from './verify-metrics';
import { VerifyState } from './verify-state';
import { MfaEvents } from '../events/mfa-events';

export type CheckOutcome =
  | { valid: true; method: VerificationMethod; serialNumber: string | null; orgId: string; at: Date }
  | { valid: false; reason: VerifyFailureReason };

/**
 * The hot path: is this code right for this account now? One read (lockout, active devices,
 * org methods: ActiveDeviceCache in Redis, Postgres on a miss). A TOTP code is matched in memory,
 * then one Redis script decides the lockout and the step's compare-and-set together (VerifyState.decide):
 * each step counts once however many instances receive it at once; the step is written behind to
 * Postgres. Other proofs reserve an attempt first (LockoutService), as their check is slow or does
 * I/O; SMS and recovery codes are single use by their own Postgres statements.
 */
@Injectable()
export class VerificationService {
  constructor(
    private readonly repo: VerificationRepository,
    private readonly lockout: LockoutService,
    private readonly state: VerifyState,
    private readonly recovery: RecoveryCodesService,
    private readonly methods: MethodRegistry,
    private readonly events: MfaEvents,
    private readonly metrics: VerifyMetrics,
    private readonly clock: Clock,
  ) {}

  /** `prefetched`: the device cache read the bus gate started for this request (ctx.getPrefetched()). */
  async verify(accountId: string, proof: Proof | string, serialNumber?: string, prefetched?: unknown): Promise<VerifyReply> {
    const outcome = await this.check(accountId, proof, serialNumber, prefetched);
    if (!outcome.valid) return { valid: false, reason: outcome.reason };
    return { valid: true, serialNumber: outcome.serialNumber, method: outcome.method, verifiedAt: outcome.at.toISOString() };
  }

  /** Checks a proof (a code, an assertion) and counts a failure; shared by mfa.verify and mfa.sessions.issue. */
  async check(accountId: string, proof: Proof | string, serialNumber?: string, prefetched?: unknown): Promise<CheckOutcome> {
    const done = this.metrics.start();
    const outcome = await this.checkUntimed(accountId, asProof(proof), serialNumber ?? null, prefetched);
    done(outcome.valid ? 'valid' : outcome.reason, outcome.valid ? outcome.method : undefined);
    return outcome;
  }

  private async checkUntimed(accountId: string, proof: Proof, serialNumber: string | null, prefetched: unknown): Promise<CheckOutcome> {
    const now = this.clock.now();
    const rows = await this.repo.load(accountId, serialNumber, prefetched);
    const devices = rows.filter((r): r is ActiveDevice => r.id !== null);
    // recovery codes are tried only when no device method could check the code: scrypt is slow
    const recovery =
      isCodeProof(proof) && !this.methods.acceptsAny(proof) && serialNumber === null && normalizeRecoveryCode(proof.code) !== null;
    if (!recovery && devices.length === 0) return { valid: false, reason: 'no_active_device' };

    const lockedUntil = storedLockout(rows, now);
    if (!recovery) {
      const decided = await this.decideInOne(accountId, devices, proof, now, lockedUntil, rows[0]?.stored_failures ?? 0);
      if (decided) return decided;
    }
    // reserved before the code is checked: the lockout is decided with the attempt, not before it
    const attempt = await this.lockout.attempt(accountId, now, { lockedUntil, failures: rows[0]?.stored_failures ?? 0 });
    if (!attempt) return { valid: false, reason: 'locked_out' };
    try {
      return await this.checkAttempt(attempt, devices, proof, recovery);
    } finally {
      await attempt.release();
    }
  }

  private async checkAttempt(attempt: Attempt, devices: ActiveDevice[], proof: Proof, recovery: boolean): Promise<CheckOutcome> {
    const { accountId, now } = attempt;
    if (recovery && isCodeProof(proof)) {
      const used = await this.recovery.use(accountId, proof.code, now);
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
    const allowed = allowedDevices(devices);
    if (allowed.length === 0) return { valid: false, reason: 'method_not_allowed' };
    if (!allowed.some((d) => this.methods.get(d.type).accepts(proof))) return this.failed(attempt, devices[0].org_id);

    for (const device of allowed) {
      const method = this.methods.get(device.type);
      // sync for code methods (no await cost on the hot path), a promise for WebAuthn
      const found = method.match(device, proof, now);
      const matched: unknown = found instanceof Promise ? await found : found;
      if (matched === null) continue;
      const outcome = await method.accept(device, attempt, matched);
      if (outcome === 'locked') return { valid: false, reason: 'locked_out' };
      if (outcome === 'cloned') {
        const lockedBefore = await attempt.fail(device.org_id);
        return { valid: false, reason: lockedBefore ? 'locked_out' : 'cloned_authenticator' };
      }
      // a lost race (the same code accepted by another request) is a replay: plain invalid_code
      if (outcome === 'replayed') break;
      return { valid: true, method: device.type, serialNumber: device.serial_number, orgId: device.org_id, at: now };
    }
    return this.failed(attempt, devices[0].org_id);
  }

  /**
   * When every allowed device that takes this proof matches it in memory as a step (TOTP): the match
   * first, then one script decides the lockout, the step and the failure (VerifyState.decide), with no
   * attempt reserved, as nothing slow runs in between. undefined: another method is involved (SMS,
   * WebAuthn): the reserved attempt's path decides.
   */
  private async decideInOne(
    accountId: string,
    devices: ActiveDevice[],
    proof: Proof,
    now: Date,
    lockedUntil: Date | null,
    storedFailures: number,
  ): Promise<CheckOutcome | undefined> {
    const allowed = allowedDevices(devices);
    if (allowed.length === 0) return undefined;
    const takers = allowed.filter((d) => this.methods.get(d.type).accepts(proof));
    if (!takers.every((d) => this.methods.get(d.type).stepAccepted !== undefined)) return undefined;
    if (lockedUntil || this.lockout.knownLocked(accountId, now)) return { valid: false, reason: 'locked_out' };
    let hit: { device: ActiveDevice; step: number } | null = null;
    for (const device of takers) {
      const step = this.methods.get(device.type).match(device, proof, now);
      if (typeof step === 'number') {
        hit = { device, step };
        break;
      }
    }
    const orgId = (hit?.device ?? devices[0]).org_id;
    const decision = await this.state.decide(
      accountId,
      now,
      hit && { deviceId: hit.device.id, step: hit.step, floor: hit.device.last_step },
    );
    if (decision.verdict === 'locked') return { valid: false, reason: 'locked_out' };
    if (decision.verdict === 'failed') {
      const lockedBefore = await this.lockout.counted(accountId, orgId, now, decision);
      return { valid: false, reason: lockedBefore ? 'locked_out' : 'invalid_code' };
    }
    const { device, step } = hit!;
    await this.lockout.accepted(accountId, now, decision.pgFailures, storedFailures);
    this.methods.get(device.type).stepAccepted!(device, step, now);
    return { valid: true, method: device.type, serialNumber: device.serial_number, orgId: device.org_id, at: now };
  }

  private async failed(attempt: Attempt, orgId: string): Promise<CheckOutcome> {
    const lockedBefore = await attempt.fail(orgId);
    return { valid: false, reason: lockedBefore ? 'locked_out' : 'invalid_code' };
  }
}
