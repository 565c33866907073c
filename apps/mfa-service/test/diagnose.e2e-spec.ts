/** mfa.devices.diagnose: every finding code, the lockout it counts toward, bad input (docs/mfa.md "Troubleshooting a rejected code"). */
import { InternalPatterns, Patterns, type DiagnoseReply, type Member, type MfaPolicy } from '@mfa/contracts';
import { VerificationRepository } from '../src/verification/verification.repository';
import { VerifyState } from '../src/verification/verify-state';
import {
  codeAt,
  createTotp,
  enrolledTotp as enrolledTotpOf,
  lastSmsCodeOf,
  newMember,
  startHarness,
  type Harness,
} from './mfa-test-harness';

const MAX = 4;
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ MFA_MAX_FAILURES: String(MAX), MFA_LOCKOUT_SECONDS: '60', SMS_RESEND_SECONDS: '0' });
});
afterAll(() => h?.close());

const diagnose = (accountId: string, code: string, serialNumber?: string, action?: string) =>
  h.send(Patterns.MfaDevicesDiagnose, { accountId, code, ...(serialNumber ? { serialNumber } : {}), ...(action ? { action } : {}) });
const codes = (r: DiagnoseReply) => r.findings.map((f) => f.code);
const failures = (accountId: string) => h.a.app.get(VerifyState).failures(accountId);
const wrongOtp = (right: string) => (right === '000000' ? '111111' : '000000');

const pendingTotp = (m: Member) => createTotp(h, m);
const enrolledTotp = (m?: Member) => enrolledTotpOf(h, m);

/** No finding may carry the code it was asked about, the seed, or any other 6-digit run. */
function expectNoSecrets(r: DiagnoseReply, ...secrets: string[]) {
  const text = JSON.stringify(r);
  for (const s of secrets) expect(text).not.toContain(s);
  expect(text).not.toMatch(/\b\d{6}\b/);
}

describe('mfa.devices.diagnose', () => {
  it('ok: a right code is found right and NOT used; it still verifies once afterwards; no attempt counted', async () => {
    const { m, dev } = await enrolledTotp();
    const code = codeAt(dev.secretBase32, h.clock);
    const r = await diagnose(m.id, code, undefined, 'payments.approve');
    expect(r).toEqual({ action: 'payments.approve', findings: [expect.objectContaining({ code: 'ok', serialNumber: dev.serialNumber })] });
    expectNoSecrets(r, code, dev.secretBase32);
    expect(await failures(m.id)).toBe(0);
    expect(await h.send(Patterns.MfaVerify, { accountId: m.id, code })).toMatchObject({ valid: true });
  });

  it('replayed: a code already accepted (live in Redis, and once written behind to Postgres)', async () => {
    const { m, dev } = await enrolledTotp();
    const code = codeAt(dev.secretBase32, h.clock);
    expect(await h.send(Patterns.MfaVerify, { accountId: m.id, code })).toMatchObject({ valid: true });
    expect(codes(await diagnose(m.id, code))).toEqual(['replayed']);
    await Promise.all([h.a, h.b].map((x) => x.app.get(VerificationRepository).flushUses()));
    await h.redis.del(`mfa:{a:${m.id}}:verify`, `mfa:{a:${m.id}}:devices`); // Redis lost: Postgres' floor still says replayed
    expect(codes(await diagnose(m.id, code, dev.serialNumber))).toEqual(['replayed']);
    expect(await failures(m.id)).toBe(1); // counted like the failed verify it would be (the first failure after the deletion)
  });

  it.each([-7, -10, 4, 10])('clock_skew: a device %i steps off, with the resync command; counted as a failure', async (offset) => {
    const { m, dev } = await enrolledTotp();
    const code = codeAt(dev.secretBase32, h.clock, offset);
    const r = await diagnose(m.id, code);
    expect(r.findings).toEqual([
      expect.objectContaining({
        code: 'clock_skew',
        steps: offset,
        serialNumber: dev.serialNumber,
        command: `mfa devices resync --account-id ${m.id} --serial-number ${dev.serialNumber} --code1 <code> --code2 <next code>`,
      }),
    ]);
    expectNoSecrets(r, code, dev.secretBase32);
    expect(await failures(m.id)).toBe(1);
    // the resync it names fixes it (a clock behind cannot resync to steps before the enabling one: not tried);
    // a future code was burned by diagnosing, so the member resyncs with it and the next one, 30 s later
    if (offset < 0) return;
    h.clock.advance(30_000);
    expect(
      await h.send(Patterns.MfaDevicesResync, {
        accountId: m.id,
        serialNumber: dev.serialNumber,
        code1: codeAt(dev.secretBase32, h.clock, offset - 1),
        code2: codeAt(dev.secretBase32, h.clock, offset),
      }),
    ).toMatchObject({ status: 'active' });
    h.clock.advance(90_000);
    expect(codes(await diagnose(m.id, codeAt(dev.secretBase32, h.clock, offset)))).toEqual(['ok']);
  });

  it('a future-step code is burned by diagnosing: never accepted when its step comes (even with Redis lost); resync with the next codes works', async () => {
    const { m, dev } = await enrolledTotp();
    const guess = codeAt(dev.secretBase32, h.clock, 5);
    expect(codes(await diagnose(m.id, guess))).toEqual(['clock_skew']);
    h.clock.advance(5 * 30_000); // the guessed step is now the current one
    expect(codeAt(dev.secretBase32, h.clock)).toBe(guess);
    expect(await h.send(Patterns.MfaVerify, { accountId: m.id, code: guess })).toEqual({ valid: false, reason: 'invalid_code' });
    await h.redis.del(`mfa:{a:${m.id}}:verify`, `mfa:{a:${m.id}}:devices`); // Redis lost: Postgres' floor holds the burned step too
    expect(await h.send(Patterns.MfaVerify, { accountId: m.id, code: guess })).toEqual({ valid: false, reason: 'invalid_code' });
    // the device is 5 steps ahead: its next two codes resync it, and its codes verify again
    h.clock.advance(30_000);
    expect(
      await h.send(Patterns.MfaDevicesResync, {
        accountId: m.id,
        serialNumber: dev.serialNumber,
        code1: codeAt(dev.secretBase32, h.clock, 4),
        code2: codeAt(dev.secretBase32, h.clock, 5),
      }),
    ).toMatchObject({ status: 'active' });
    h.clock.advance(30_000);
    expect(await h.send(Patterns.MfaVerify, { accountId: m.id, code: codeAt(dev.secretBase32, h.clock, 5) })).toMatchObject({
      valid: true,
    });
  });

  it('a past-step code burns nothing: the current code still verifies', async () => {
    const { m, dev } = await enrolledTotp();
    expect(codes(await diagnose(m.id, codeAt(dev.secretBase32, h.clock, -5)))).toEqual(['clock_skew']);
    expect(await h.send(Patterns.MfaVerify, { accountId: m.id, code: codeAt(dev.secretBase32, h.clock) })).toMatchObject({ valid: true });
  });

  it('invalid_code beyond the ±10 steps window, and every failure counts toward the lockout exactly like verify', async () => {
    const { m, dev } = await enrolledTotp();
    const far = codeAt(dev.secretBase32, h.clock, 12);
    const r = await diagnose(m.id, far);
    expect(codes(r)).toEqual(['invalid_code']);
    expectNoSecrets(r, far);
    expect(await failures(m.id)).toBe(1);
    const right = codeAt(dev.secretBase32, h.clock);
    await h.send(Patterns.MfaVerify, { accountId: m.id, code: wrongOtp(right) });
    expect(await failures(m.id)).toBe(2);
    await diagnose(m.id, wrongOtp(right));
    const last = await diagnose(m.id, wrongOtp(right)); // the MAXth failure starts the lockout
    expect(codes(last)).toEqual(['invalid_code', 'locked_out']);
    const until = new Date(h.clock.now().getTime() + 60_000).toISOString();
    expect(last.findings[1].until).toBe(until);
    // now even a right code is refused by verify, and diagnose says why without checking the code
    expect(await h.send(Patterns.MfaVerify, { accountId: m.id, code: right })).toEqual({ valid: false, reason: 'locked_out' });
    expect((await diagnose(m.id, right)).findings).toEqual([expect.objectContaining({ code: 'locked_out', until })]);
    h.clock.advance(60_000);
    expect((await diagnose(m.id, codeAt(dev.secretBase32, h.clock))).findings).toEqual([expect.objectContaining({ code: 'ok' })]);
  });

  it('wrong_serial, pending_device and no_active_device, without taking an attempt', async () => {
    const m = newMember();
    expect(codes(await diagnose(m.id, '123456'))).toEqual(['no_active_device']);
    const pending = await pendingTotp(m);
    expect(codes(await diagnose(m.id, '123456'))).toEqual(['pending_device', 'no_active_device']);
    expect((await diagnose(m.id, '123456', pending.serialNumber)).findings).toEqual([
      expect.objectContaining({ code: 'pending_device', serialNumber: pending.serialNumber }),
    ]);
    const other = await enrolledTotp();
    expect((await diagnose(m.id, codeAt(other.dev.secretBase32, h.clock), other.dev.serialNumber)).findings).toEqual([
      expect.objectContaining({ code: 'wrong_serial', serialNumber: other.dev.serialNumber }),
    ]);
    expect(await failures(m.id)).toBe(0);
  });

  it('policy_denies: a method the org no longer allows, and a member past the grace period (enrollment_required)', async () => {
    const { m, dev } = await enrolledTotp();
    await h.send(InternalPatterns.MfaPolicyApply, {
      policy: {
        orgId: m.orgId,
        version: 1,
        requireMfa: true,
        allowedMethods: ['sms'],
        gracePeriodHours: 0,
        maxMfaAgeSeconds: null,
        updatedAt: new Date().toISOString(),
      },
    });
    const r = await diagnose(m.id, codeAt(dev.secretBase32, h.clock));
    expect(r.findings).toEqual([
      expect.objectContaining({ code: 'policy_denies', serialNumber: dev.serialNumber, rule: 'allowedMethods: sms' }),
    ]);
    expect(await h.send(Patterns.MfaVerify, { accountId: m.id, code: codeAt(dev.secretBase32, h.clock) })).toEqual({
      valid: false,
      reason: 'method_not_allowed',
    });

    const late = newMember();
    late.enforcement = { ...late.enforcement, state: 'non_compliant', graceDeadline: '2029-12-31T00:00:00.000Z' };
    expect((await diagnose(late.id, '123456')).findings).toEqual([
      expect.objectContaining({ code: 'policy_denies', rule: 'enrollment_required' }),
      expect.objectContaining({ code: 'no_active_device' }),
    ]);
  });

  it('policy_denies: an action under one of the policy conditions (the strictest), before the code findings', async () => {
    const { m, dev } = await enrolledTotp();
    const policy: MfaPolicy = {
      orgId: m.orgId,
      version: 1,
      requireMfa: false,
      allowedMethods: ['totp'],
      gracePeriodHours: 0,
      maxMfaAgeSeconds: null,
      updatedAt: new Date().toISOString(),
      conditions: [
        { actions: ['billing:*'], maxMfaAgeSeconds: 300 },
        { actions: ['billing:refund', 'repo:delete'], maxMfaAgeSeconds: 60 },
      ],
    };
    // a hand-over with a bad condition is refused naming it, and changes nothing
    const bad = await h.failure(InternalPatterns.MfaPolicyApply, {
      policy: { ...policy, conditions: [{ actions: ['ok', 'x*y'], maxMfaAgeSeconds: 60 }] },
    });
    expect(bad).toMatchObject({
      code: 'validation_failed',
      message: expect.stringContaining('policy.conditions.0.actions: actions[1] must be'),
    });
    expect(await h.send(InternalPatterns.MfaPolicyApply, { policy })).toEqual({ accepted: true });

    const r = await diagnose(m.id, codeAt(dev.secretBase32, h.clock), undefined, 'billing:refund');
    expect(r).toEqual({
      action: 'billing:refund',
      findings: [
        expect.objectContaining({
          code: 'policy_denies',
          rule: 'conditions: billing:refund,repo:delete maxMfaAgeSeconds=60',
          message: expect.stringContaining('at most 60 s old'),
        }),
        expect.objectContaining({ code: 'ok' }),
      ],
    });
    expect((await diagnose(m.id, '000000', undefined, 'billing:invoice')).findings[0]).toMatchObject({
      code: 'policy_denies',
      rule: 'conditions: billing:* maxMfaAgeSeconds=300',
    });
    expect(codes(await diagnose(m.id, '000000', undefined, 'profile/view'))).not.toContain('policy_denies');
    expect(codes(await diagnose(m.id, '000000'))).not.toContain('policy_denies');
    // another org's member: its org has no conditions
    const { m: outsider, dev: outsiderDev } = await enrolledTotp();
    expect(codes(await diagnose(outsider.id, codeAt(outsiderDev.secretBase32, h.clock), undefined, 'billing:refund'))).toEqual(['ok']);
  });

  it('SMS answers what it can: right, or no live code', async () => {
    const m = newMember();
    const dev = await h.send(Patterns.MfaDevicesCreate, { accountId: m.id, type: 'sms', name: 'mobile', phoneNumber: '+14155550188' });
    await h.send(Patterns.MfaDevicesEnable, {
      accountId: m.id,
      serialNumber: dev.serialNumber,
      code1: await lastSmsCodeOf(h, dev.serialNumber),
    });
    const used = await lastSmsCodeOf(h, dev.serialNumber);
    const none = await diagnose(m.id, used);
    expect(codes(none)).toEqual(['invalid_code']);
    expect(none.findings[0].message).toContain('no SMS code is live');
    await h.send(Patterns.MfaSmsSend, { accountId: m.id, serialNumber: dev.serialNumber });
    expect(codes(await diagnose(m.id, await lastSmsCodeOf(h, dev.serialNumber)))).toEqual(['ok']);
  });

  it('bad input and an unknown account are clear errors', async () => {
    const m = newMember();
    expect((await h.failure(Patterns.MfaDevicesDiagnose, { accountId: 'nope', code: '123456' })).code).toBe('validation_failed');
    expect((await h.failure(Patterns.MfaDevicesDiagnose, { accountId: m.id })).code).toBe('validation_failed');
    expect((await h.failure(Patterns.MfaDevicesDiagnose, { accountId: m.id, code: '123456', action: 'has spaces' })).code).toBe(
      'validation_failed',
    );
    expect((await h.failure(Patterns.MfaDevicesDiagnose, { accountId: m.id, code: '123456', serialNumber: 42 })).code).toBe(
      'validation_failed',
    );
    expect((await h.failure(Patterns.MfaDevicesDiagnose, { accountId: '00000000-0000-4000-8000-000000000000', code: '123456' })).code).toBe(
      'not_found',
    );
  });
});
