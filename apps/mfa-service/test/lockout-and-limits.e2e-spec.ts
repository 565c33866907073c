import { randomInt } from 'node:crypto';
import { Patterns, type CreateTotpDeviceReply, type Member } from '@mfa/contracts';
import { DeviceEnrollmentService } from '../src/lifecycle/device-enrollment.service';
import { newRecoveryCode } from '../src/recovery/recovery-code-format';
import { SessionService } from '../src/sessions/session.service';
import { SmsOutboxSweeper } from '../src/sms/sms-outbox';
import { SmsOutboxRepository } from '../src/sms/sms-outbox.repository';
import { VerificationService } from '../src/verification/verification.service';
import { VerifyState } from '../src/verification/verify-state';
import { Metrics } from '@mfa/observability';
import { deleteMatching } from '@mfa/testing';
import {
  codeAt,
  createTotp as createTotpOf,
  enrolledTotp as enrolledTotpOf,
  freshSession,
  lastSmsCodeOf,
  newMember,
  startHarness,
  waitFor,
  type Harness,
} from './mfa-test-harness';

const MAX = 5;
const FLOOD = 3 * MAX;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ MFA_MAX_FAILURES: String(MAX), MFA_LOCKOUT_SECONDS: '60', SMS_RESEND_SECONDS: '0' });
});
afterAll(() => h?.close());

/** ok, or the reason / error code a call ended with */
const outcome = (p: Promise<unknown>): Promise<string> =>
  p.then(
    (r) => ((r as { valid?: boolean; reason?: string }).valid === false ? (r as { reason: string }).reason : 'ok'),
    (err: { code?: string }) => err.code ?? String(err),
  );

const phone = () => `+1415${String(randomInt(0, 10_000_000)).padStart(7, '0')}`;
const wrongOtp = (right: string) => (right === '000000' ? '111111' : '000000');

const createTotp = (m: Member) => createTotpOf(h, m);
const enrolledTotp = (m?: Member) => enrolledTotpOf(h, m);

/** A recovery-code set of an enrolled account, with the fresh session (step-up) that needs. */
async function recoveryCodes({ m, dev }: { m: Member; dev: CreateTotpDeviceReply }): Promise<string[]> {
  const sessionToken = await freshSession(h, m.id, dev.secretBase32);
  return (await h.send(Patterns.MfaRecoveryCodesGenerate, { accountId: m.id, sessionToken })).codes;
}

async function enrolledSms(m: Member = newMember()) {
  const dev = await h.send(Patterns.MfaDevicesCreate, { accountId: m.id, type: 'sms', name: 'mobile', phoneNumber: phone() });
  await h.send(Patterns.MfaDevicesEnable, {
    accountId: m.id,
    serialNumber: dev.serialNumber,
    code1: await lastSmsCodeOf(h, dev.serialNumber),
  });
  await h.send(Patterns.MfaSmsSend, { accountId: m.id, serialNumber: dev.serialNumber });
  return { m, dev, code: await lastSmsCodeOf(h, dev.serialNumber) };
}

/**
 * FLOOD wrong attempts and then the right one, all started in the same tick on one instance (so
 * they reserve in this order): exactly MAX wrong ones are checked, the right one meets the lockout.
 */
async function floodThenRight(wrong: () => Promise<unknown>, right: () => Promise<unknown>) {
  const calls = Array.from({ length: FLOOD }, () => outcome(wrong()));
  calls.push(outcome(right()));
  const results = await Promise.all(calls);
  return {
    right: results[FLOOD],
    checked: results.slice(0, FLOOD).filter((r) => r === 'invalid_code').length,
    refused: results.slice(0, FLOOD).filter((r) => r === 'locked_out').length,
  };
}

describe('lockout decided atomically with the attempt', () => {
  const verification = () => h.a.app.get(VerificationService);
  const enrollment = () => h.a.app.get(DeviceEnrollmentService);

  it('verify with TOTP: 15 wrong codes at once, then the right one -> locked_out; a right code alone works', async () => {
    const { m, dev } = await enrolledTotp();
    const right = codeAt(dev.secretBase32, h.clock);
    const r = await floodThenRight(
      () => verification().verify(m.id, wrongOtp(right)),
      () => verification().verify(m.id, right),
    );
    expect(r).toEqual({ right: 'locked_out', checked: MAX, refused: FLOOD - MAX });
    // the lockout runs its full period from its start, then the right code works
    h.clock.advance(59_000);
    expect(await verification().verify(m.id, codeAt(dev.secretBase32, h.clock))).toEqual({ valid: false, reason: 'locked_out' });
    h.clock.advance(1_000);
    expect(await verification().verify(m.id, codeAt(dev.secretBase32, h.clock))).toMatchObject({ valid: true, method: 'totp' });
    const alone = await enrolledTotp();
    expect(await verification().verify(alone.m.id, codeAt(alone.dev.secretBase32, h.clock))).toMatchObject({ valid: true });
  });

  it('verify with SMS: 15 wrong codes at once, then the right one -> locked_out; a right code alone works', async () => {
    const { m, code } = await enrolledSms();
    const r = await floodThenRight(
      () => verification().verify(m.id, wrongOtp(code)),
      () => verification().verify(m.id, code),
    );
    expect(r).toEqual({ right: 'locked_out', checked: MAX, refused: FLOOD - MAX });
    const alone = await enrolledSms();
    expect(await verification().verify(alone.m.id, alone.code)).toMatchObject({ valid: true, method: 'sms' });
  });

  it('verify with recovery codes (scrypt): 15 wrong codes at once, then the right one -> locked_out; a right code alone works', async () => {
    const enrolled = await enrolledTotp();
    const { m } = enrolled;
    const codes = await recoveryCodes(enrolled);
    const r = await floodThenRight(
      () => verification().verify(m.id, newRecoveryCode()),
      () => verification().verify(m.id, codes[0]),
    );
    expect(r).toEqual({ right: 'locked_out', checked: MAX, refused: FLOOD - MAX });
    const alone = await enrolledTotp();
    const own = await recoveryCodes(alone);
    expect(await verification().verify(alone.m.id, own[3])).toMatchObject({ valid: true, method: 'recovery_code' });
  });

  it('recovery codes over the bus on two instances: 60 wrong at once check no more than the max, and the right one after them is refused', async () => {
    const enrolled = await enrolledTotp();
    const { m } = enrolled;
    const codes = await recoveryCodes(enrolled);
    const state = h.a.app.get(VerifyState);
    const flood = Array.from({ length: 59 }, () => outcome(h.send(Patterns.MfaVerify, { accountId: m.id, code: newRecoveryCode() })));
    // the right one goes while the wrong ones are still being hashed (or have failed)
    await waitFor(
      async () =>
        (await state.failures(m.id)) + (await state.inFlight(m.id, h.clock.now())) >= MAX || (await state.lockedUntil(m.id, h.clock.now())),
    );
    const right = await outcome(h.send(Patterns.MfaVerify, { accountId: m.id, code: codes[0] }));
    const wrong = await Promise.all(flood);
    expect(right).toBe('locked_out');
    expect(wrong.filter((r) => r === 'invalid_code')).toHaveLength(MAX);
    expect(wrong.filter((r) => r === 'locked_out')).toHaveLength(59 - MAX);
  });

  it('session issue: 15 wrong codes at once, then the right one -> locked_out; a right code alone works', async () => {
    const { m, dev } = await enrolledTotp();
    const right = codeAt(dev.secretBase32, h.clock);
    const sessions = h.a.app.get(SessionService);
    const r = await floodThenRight(
      () => sessions.issue(m.id, wrongOtp(right), undefined),
      () => sessions.issue(m.id, right, undefined),
    );
    expect(r).toEqual({ right: 'locked_out', checked: MAX, refused: FLOOD - MAX });
    const alone = await enrolledTotp();
    expect(await sessions.issue(alone.m.id, codeAt(alone.dev.secretBase32, h.clock), undefined)).toMatchObject({
      token: expect.any(String),
    });
  });

  it('enable: 15 wrong pairs at once, then the right pair -> locked_out; a right pair alone works', async () => {
    const m = newMember();
    const dev = await createTotp(m);
    const [c1, c2] = [codeAt(dev.secretBase32, h.clock, -1), codeAt(dev.secretBase32, h.clock)];
    const r = await floodThenRight(
      () => enrollment().enable(m.id, dev.serialNumber, c2, c1),
      () => enrollment().enable(m.id, dev.serialNumber, c1, c2),
    );
    expect(r).toEqual({ right: 'locked_out', checked: MAX, refused: FLOOD - MAX });
    const other = newMember();
    const fresh = await createTotp(other);
    expect(
      await enrollment().enable(other.id, fresh.serialNumber, codeAt(fresh.secretBase32, h.clock, -1), codeAt(fresh.secretBase32, h.clock)),
    ).toMatchObject({ status: 'active' });
  });

  it('enable of an SMS device: 15 wrong codes at once, then the right one -> locked_out', async () => {
    const m = newMember();
    const dev = await h.send(Patterns.MfaDevicesCreate, { accountId: m.id, type: 'sms', name: 'mobile', phoneNumber: phone() });
    const code = await lastSmsCodeOf(h, dev.serialNumber);
    const r = await floodThenRight(
      () => enrollment().enable(m.id, dev.serialNumber, wrongOtp(code)),
      () => enrollment().enable(m.id, dev.serialNumber, code),
    );
    expect(r).toEqual({ right: 'locked_out', checked: MAX, refused: FLOOD - MAX });
  });

  it('resync: 15 wrong pairs at once, then the right pair -> locked_out; a right pair alone works', async () => {
    const { m, dev } = await enrolledTotp();
    const [c1, c2] = [codeAt(dev.secretBase32, h.clock, 4), codeAt(dev.secretBase32, h.clock, 5)];
    const r = await floodThenRight(
      () => enrollment().resync(m.id, dev.serialNumber, c2, c1),
      () => enrollment().resync(m.id, dev.serialNumber, c1, c2),
    );
    expect(r).toEqual({ right: 'locked_out', checked: MAX, refused: FLOOD - MAX });
    const alone = await enrolledTotp();
    const pair = [codeAt(alone.dev.secretBase32, h.clock, 4), codeAt(alone.dev.secretBase32, h.clock, 5)];
    expect(await enrollment().resync(alone.m.id, alone.dev.serialNumber, pair[0], pair[1])).toMatchObject({ status: 'active' });
  });

  it('frees the attempt of a request that ends without a verdict (no device, unknown serial): nothing is counted or left in flight', async () => {
    const { m } = await enrolledTotp();
    const state = h.a.app.get(VerifyState);
    for (let i = 0; i < 2 * MAX; i++) {
      expect(await outcome(enrollment().enable(m.id, 'totp-unknown', '123456', '654321'))).toBe('not_found');
    }
    expect(await state.failures(m.id)).toBe(0);
    expect(await state.inFlight(m.id, h.clock.now())).toBe(0);
  });
});

describe('the count of guesses outlives Redis edits', () => {
  const verification = () => h.a.app.get(VerificationService);

  it("locks out after the limit although Redis' count is deleted after every failure, and a success clears the stored count", async () => {
    const { m, dev } = await enrolledTotp();
    const right = () => codeAt(dev.secretBase32, h.clock);
    // someone with write access to Redis wipes the live count between guesses
    for (let i = 0; i < MAX - 1; i++) {
      expect(await verification().verify(m.id, wrongOtp(right()))).toEqual({ valid: false, reason: 'invalid_code' });
      await h.redis.del(`mfa:{a:${m.id}}:verify`, `mfa:{a:${m.id}}:devices`);
    }
    // a success in between clears the stored count too
    expect(await verification().verify(m.id, right())).toMatchObject({ valid: true });
    h.clock.advance(30_000);
    for (let i = 0; i < MAX; i++) {
      expect(await verification().verify(m.id, wrongOtp(right()))).toEqual({ valid: false, reason: 'invalid_code' });
      await h.redis.del(`mfa:{a:${m.id}}:verify`, `mfa:{a:${m.id}}:devices`);
    }
    expect(await verification().verify(m.id, right())).toEqual({ valid: false, reason: 'locked_out' });
    await h.redis.del(`mfa:{a:${m.id}}:verify`, `mfa:{a:${m.id}}:devices`);
    expect(await verification().verify(m.id, right())).toEqual({ valid: false, reason: 'locked_out' });
  });
});

describe('rate limits', () => {
  it('sends at most 5 SMS codes an hour to one phone number, across accounts and create/deactivate loops', async () => {
    const number = phone();
    const accounts = [newMember(), newMember(), newMember()];
    const results: string[] = [];
    for (let i = 0; i < 7; i++) {
      const m = accounts[i % accounts.length];
      const before = (await h.send(Patterns.MfaDevicesList, { accountId: m.id })).items.length;
      const created = await outcome(
        h.send(Patterns.MfaDevicesCreate, { accountId: m.id, type: 'sms', name: `loop ${i}`, phoneNumber: number }),
      );
      results.push(created);
      const items = (await h.send(Patterns.MfaDevicesList, { accountId: m.id })).items;
      // a refused create leaves no device behind
      expect(items.length).toBe(created === 'ok' ? before + 1 : before);
      for (const d of items.filter((x) => x.status === 'pending'))
        await h.send(Patterns.MfaDevicesDeactivate, { accountId: m.id, serialNumber: d.serialNumber });
    }
    expect(results).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'rate_limited', 'rate_limited']);
    const outbox = await h.a.app.get(SmsOutboxRepository).read({ limit: 1000 });
    expect(outbox.filter((msg) => msg.to === number)).toHaveLength(5);
    // the window slides: an hour later the number gets codes again
    h.clock.advance(3_600_000);
    expect(
      await outcome(h.send(Patterns.MfaDevicesCreate, { accountId: accounts[0].id, type: 'sms', name: 'later', phoneNumber: number })),
    ).toBe('ok');
  });

  it('keeps the SMS limits when someone with Redis access deletes their counters (the Postgres ledger)', async () => {
    const number = phone();
    const results: string[] = [];
    for (let i = 0; i < 7; i++) {
      const m = newMember();
      results.push(
        await outcome(h.send(Patterns.MfaDevicesCreate, { accountId: m.id, type: 'sms', name: `wiped ${i}`, phoneNumber: number })),
      );
      await deleteMatching(h.redis, 'mfa:limit:*'); // on every master of a cluster
    }
    expect(results).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'rate_limited', 'rate_limited']);
  });

  it('sends at most 5 SMS codes an hour for one account, across numbers and devices', async () => {
    const m = newMember();
    const dev = await h.send(Patterns.MfaDevicesCreate, { accountId: m.id, type: 'sms', name: 'a', phoneNumber: phone() });
    for (let i = 0; i < 3; i++)
      expect(await outcome(h.send(Patterns.MfaSmsSend, { accountId: m.id, serialNumber: dev.serialNumber }))).toBe('ok');
    const other = await h.send(Patterns.MfaDevicesCreate, { accountId: m.id, type: 'sms', name: 'b', phoneNumber: phone() });
    const refused = await h.failure(Patterns.MfaSmsSend, { accountId: m.id, serialNumber: other.serialNumber });
    expect(refused).toEqual({ code: 'rate_limited', message: expect.stringContaining('SMS codes for this account') });
    expect((await h.failure(Patterns.MfaDevicesCreate, { accountId: m.id, type: 'sms', name: 'c', phoneNumber: phone() })).code).toBe(
      'rate_limited',
    );
  });

  it('counts concurrent sends on both instances exactly', async () => {
    const m = newMember();
    const dev = await h.send(Patterns.MfaDevicesCreate, { accountId: m.id, type: 'sms', name: 'a', phoneNumber: phone() });
    const results = await Promise.all(
      Array.from({ length: 20 }, () => outcome(h.send(Patterns.MfaSmsSend, { accountId: m.id, serialNumber: dev.serialNumber }))),
    );
    expect(results.filter((r) => r === 'ok')).toHaveLength(4);
    expect(results.filter((r) => r === 'rate_limited')).toHaveLength(16);
  });

  it('generates at most 5 recovery-code sets an hour per account', async () => {
    const m = newMember();
    const results = await Promise.all(
      Array.from({ length: 8 }, () => outcome(h.send(Patterns.MfaRecoveryCodesGenerate, { accountId: m.id }))),
    );
    expect(results.filter((r) => r === 'ok')).toHaveLength(5);
    expect(results.filter((r) => r === 'rate_limited')).toHaveLength(3);
    expect(await outcome(h.send(Patterns.MfaRecoveryCodesGenerate, { accountId: newMember().id }))).toBe('ok');
    h.clock.advance(3_600_000);
    expect(await outcome(h.send(Patterns.MfaRecoveryCodesGenerate, { accountId: m.id }))).toBe('ok');
  });
});

describe('SMS outbox (development sender)', () => {
  it('keeps no number or code in clear, binds each envelope to its row, and prunes messages after a day', async () => {
    const m = newMember();
    const number = phone();
    const dev = await h.send(Patterns.MfaDevicesCreate, { accountId: m.id, type: 'sms', name: 'mobile', phoneNumber: number });
    const code = await lastSmsCodeOf(h, dev.serialNumber);
    const raw = JSON.stringify(await h.db.query(`SELECT * FROM mfa.sms_outbox WHERE serial_number = $1`, [dev.serialNumber]));
    expect(raw).not.toContain(number.slice(1));
    expect(raw).not.toContain(code);
    const [row] = await h.db.query(`SELECT id, body_enc FROM mfa.sms_outbox WHERE serial_number = $1`, [dev.serialNumber]);
    // a body copied onto another row does not open
    const [other] = await h.db.query(`SELECT id FROM mfa.sms_outbox WHERE id <> $1 LIMIT 1`, [row.id]);
    await h.db.query(`UPDATE mfa.sms_outbox SET body_enc = $2 WHERE id = $1`, [other.id, row.body_enc]);
    await expect(h.a.app.get(SmsOutboxRepository).read({ limit: 1000 })).rejects.toThrow(/does not authenticate/);
    await h.db.query(`DELETE FROM mfa.sms_outbox WHERE id = $1`, [other.id]);

    const sweeper = h.a.app.get(SmsOutboxSweeper);
    h.clock.advance(86_400_000 - 1000);
    await sweeper.sweep();
    expect(await h.a.app.get(SmsOutboxRepository).read({ serialNumber: dev.serialNumber })).toHaveLength(1);
    h.clock.advance(1000);
    expect(await sweeper.sweep()).toBeGreaterThanOrEqual(1);
    expect(
      await h.db.query(`SELECT 1 FROM mfa.sms_outbox WHERE created_at <= $1`, [new Date(h.clock.now().getTime() - 86_400_000)]),
    ).toHaveLength(0);
    expect(await h.a.app.get(SmsOutboxRepository).read({ serialNumber: dev.serialNumber })).toHaveLength(0);
  });
});

it('counted every lockout, rate limit and revocation above on /metrics (both instances together), labelled by limit and reason', async () => {
  const sum = async (name: string, labels: Record<string, string> = {}) => {
    let total = 0;
    for (const svc of [h.a, h.b]) {
      const metric = (await svc.app.get(Metrics).registry.getMetricsAsJSON()).find((m) => m.name === name);
      for (const v of (metric?.values ?? []) as Array<{ labels: Record<string, string>; value: number }>) {
        if (Object.entries(labels).every(([k, l]) => v.labels[k] === l)) total += v.value;
      }
    }
    return total;
  };
  expect(await sum('mfa_lockouts_started_total')).toBeGreaterThanOrEqual(8); // one per lockout test above
  expect(await sum('mfa_rate_limited_total', { limit: 'sms' })).toBeGreaterThanOrEqual(5);
  expect(await sum('mfa_rate_limited_total', { limit: 'other' })).toBe(0);
  expect(await sum('mfa_session_revocations_total', { reason: 'locked_out' })).toBeGreaterThanOrEqual(8);
});
