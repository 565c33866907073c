import { Injectable } from '@nestjs/common';
import type { BusCaller } from '@mfa/bus';
import { AppError, conditionsFor, type DiagnoseReply, type DiagnosisFinding, type Member, strictestCondition } from '@mfa/contracts';
import { AccountDirectory } from '../accounts/account-directory';
import { Clock } from '../common/clock';
import { DeviceRepository } from '../devices/device.repository';
import { type ActiveDevice, type CodeDiagnosis, codeProof, type CodeProof } from '../methods/device-method';
import { allowedDevices, storedLockout } from '../verification/verify-rows';
import { MethodRegistry } from '../methods/method-registry';
import { OrgPolicyService } from '../policies/org-policy.service';
import { LockoutService } from '../verification/lockout.service';
import { VerificationRepository } from '../verification/verification.repository';
import { VerifyState } from '../verification/verify-state';
import type { DiagnoseDto } from './diagnose.dto';

/**
 * mfa.devices.diagnose (docs/mfa.md "Troubleshooting a rejected code"): the seed's tips, answered
 * for one code. It weakens nothing: a code it checks takes an attempt exactly as mfa.verify does
 * (LockoutService), a wrong one counts toward the lockout, and a right one is NOT marked used and
 * does not reset the count: diagnosing grants nothing, and the member still needs that code for the
 * real sign-in. A code that would only verify later (a future TOTP step) is burned by the method,
 * so a clock_skew finding never names a guess that works later. Findings never carry a code, a
 * seed or which digits were wrong.
 */
@Injectable()
export class DiagnoseService {
  constructor(
    private readonly accounts: AccountDirectory,
    private readonly devices: DeviceRepository,
    private readonly verifyRepo: VerificationRepository,
    private readonly lockout: LockoutService,
    private readonly state: VerifyState,
    private readonly methods: MethodRegistry,
    private readonly clock: Clock,
    private readonly policies: OrgPolicyService,
  ) {}

  async diagnose(caller: BusCaller, dto: DiagnoseDto): Promise<DiagnoseReply> {
    const member = await this.accounts.get(dto.accountId);
    // the bus gate already bound a member service's accountId to its org; this says so again here
    if (caller.kind === 'service' && caller.orgId !== member.orgId) throw AppError.notFound('account');
    const findings = await this.findings(member, dto.serialNumber ?? null, codeProof(dto.code.replace(/\s/g, '')));
    if (dto.action === undefined) return { findings };
    const condition = member.enforcement.state === 'non_compliant' ? [] : await this.conditionFinding(member.orgId, dto.action);
    return { findings: [...condition, ...findings], action: dto.action };
  }

  /**
   * The condition `action` falls under, as accounts.authorize applies it (the strictest match):
   * whatever the code, that action needs a fresh MFA session. Not for a non_compliant member,
   * whose enrollment_required finding comes first (authorize answers that before any condition).
   */
  private async conditionFinding(orgId: string, action: string): Promise<DiagnosisFinding[]> {
    const condition = strictestCondition(conditionsFor(await this.policies.conditionsOf(orgId), action));
    if (!condition) return [];
    const age = condition.maxMfaAgeSeconds;
    return [
      {
        code: 'policy_denies',
        rule: `conditions: ${condition.actions.join(',')} maxMfaAgeSeconds=${age}`,
        message: `${action} falls under the organization's condition on ${condition.actions.join(', ')}: accounts.authorize allows it only with an MFA session at most ${age} s old (mfa_required or mfa_too_old otherwise), whatever the member's state; issue one right before the action (mfa sts get-session-token)`,
      },
    ];
  }

  private async findings(member: Member, serialNumber: string | null, proof: CodeProof): Promise<DiagnosisFinding[]> {
    const accountId = member.id;
    const now = this.clock.now();
    const findings: DiagnosisFinding[] = [];
    if (member.enforcement.state === 'non_compliant') {
      const since = member.enforcement.graceDeadline ? ` (its grace period ended ${member.enforcement.graceDeadline})` : '';
      findings.push({
        code: 'policy_denies',
        rule: 'enrollment_required',
        message: `the organization requires MFA and this member has no active device${since}: accounts.authorize answers enrollment_required until one is enabled`,
      });
    }

    const known = await this.devices.listForAccount(accountId, now);
    const named = serialNumber === null ? null : known.find((d) => d.serial_number === serialNumber && d.status !== 'deactivated');
    if (serialNumber !== null && !named) {
      findings.push({
        code: 'wrong_serial',
        serialNumber,
        message: `${serialNumber} is not a device of this member: list theirs with mfa devices list`,
      });
    }
    for (const d of known.filter((k) => k.status === 'pending' && (serialNumber === null || k.serial_number === serialNumber))) {
      findings.push({
        code: 'pending_device',
        serialNumber: d.serial_number,
        message: `${d.serial_number} is still pending: enable it first (mfa devices enable, two consecutive codes for TOTP)`,
      });
    }

    const rows = await this.verifyRepo.load(accountId, serialNumber);
    const lockedUntil = storedLockout(rows, now) ?? (await this.state.lockedUntil(accountId, now));
    if (lockedUntil) return [...findings, lockedOut(lockedUntil, 'every code, even a right one, is refused')];

    const active = rows.filter((r): r is ActiveDevice => r.id !== null);
    if (active.length === 0) {
      // as mfa.verify: no device to check the code against, so no attempt is taken
      if (!findings.some((f) => f.code === 'wrong_serial' || f.code === 'pending_device') || serialNumber === null) {
        findings.push({
          code: 'no_active_device',
          message: 'this member has no active device: enroll one (mfa devices create, then mfa devices enable)',
        });
      }
      return findings;
    }
    const allowed = allowedDevices(active);
    for (const d of active.filter((x) => !allowed.includes(x))) {
      findings.push({
        code: 'policy_denies',
        serialNumber: d.serial_number,
        rule: `allowedMethods: ${d.allowed_methods!.join(',') || '(none)'}`,
        message: `the organization does not allow ${this.methods.get(d.type).label} devices: ${d.serial_number} cannot verify`,
      });
    }
    if (allowed.length === 0) return findings;

    // reserved as mfa.verify reserves it (an ended lockout in Postgres is passed as none)
    const attempt = await this.lockout.attempt(accountId, now, { lockedUntil: null, failures: rows[0].stored_failures ?? 0 });
    if (!attempt)
      return [...findings, lockedOut(await this.state.lockedUntil(accountId, now), 'too many codes are being checked or have failed')];
    try {
      const results = await Promise.all(allowed.map(async (d) => ({ d, r: await this.diagnoseOne(accountId, d, proof, now) })));
      const right = results.find((x) => x.r.result === 'ok');
      if (right) {
        // released, not settled: a right code neither counts as a failure nor clears earlier ones
        findings.push({
          code: 'ok',
          serialNumber: right.d.serial_number,
          message: `the code is right for ${right.d.serial_number} now; diagnosing did not use it, so it still works once (mfa.verify, mfa.sessions.issue) until its 30 s step passes`,
        });
        return findings;
      }
      for (const { d, r } of results) {
        if (r.result === 'clock_skew') {
          const n = Math.abs(r.steps);
          findings.push({
            code: 'clock_skew',
            serialNumber: d.serial_number,
            steps: r.steps,
            command: `mfa devices resync --account-id ${accountId} --serial-number ${d.serial_number} --code1 <code> --code2 <next code>`,
            message: `the device's clock is ${n} step${n === 1 ? '' : 's'} (${n * 30} s) ${r.steps > 0 ? 'ahead' : 'behind'}: set its time automatically, or resync it with two consecutive codes`,
          });
        } else if (r.result === 'replayed') {
          findings.push({
            code: 'replayed',
            serialNumber: d.serial_number,
            message: `this code of ${d.serial_number} was already used: each code works once; wait for the next one (up to 30 s)`,
          });
        }
      }
      if (!findings.some((f) => f.code === 'clock_skew' || f.code === 'replayed')) {
        const hints = [...new Set(results.flatMap(({ r }) => (r.result === 'wrong' && r.hint ? [r.hint] : [])))];
        findings.push({
          code: 'invalid_code',
          message: [
            'the code matches none of the active devices, not even with the clock off by up to 10 steps: check the account and the device',
            ...hints,
          ].join('; '),
        });
      }
      // counted exactly as a failed mfa.verify (replays and skewed codes are failures there too)
      const lockedBefore = await attempt.fail(allowed[0].org_id);
      const until = await this.state.lockedUntil(accountId, now);
      if (until) findings.push(lockedOut(until, lockedBefore ? 'a lockout was already in force' : 'this failed code started a lockout'));
      return findings;
    } finally {
      await attempt.release();
    }
  }

  private async diagnoseOne(accountId: string, device: ActiveDevice, proof: CodeProof, now: Date): Promise<CodeDiagnosis> {
    const method = this.methods.get(device.type);
    if (method.diagnose) return method.diagnose(accountId, device, proof, now);
    // a method without diagnose answers what match can: right now, or not
    return method.accepts(proof) && method.match(device, proof, now) !== null ? { result: 'ok' } : { result: 'wrong' };
  }
}

function lockedOut(until: Date | null, why: string): DiagnosisFinding {
  return {
    code: 'locked_out',
    ...(until ? { until: until.toISOString() } : {}),
    message: `too many failed codes: locked out${until ? ` until ${until.toISOString()}` : ' for now'} (${why})`,
  };
}
