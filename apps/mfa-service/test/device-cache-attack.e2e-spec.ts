import { Patterns } from '@mfa/contracts';
import { accountKeys } from '../src/devices/active-device-cache';
import { DevicesService } from '../src/lifecycle/devices.service';
import { VerificationService } from '../src/verification/verification.service';
import { codeAt, enrolledTotp, revocations, startHarness, waitFor, type Harness } from './mfa-test-harness';

/**
 * docs/security.md, "someone with the platform's Redis user": what such a writer can do to the
 * device cache and the live verify hash beyond the bounds the doc names.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ MFA_LOCKOUT_SECONDS: '60' });
});
afterAll(() => h?.close());

const onB = () => h.b.app.get(VerificationService);

describe('a Redis writer against the device cache', () => {
  it('a non-integer generation does not skip the lockout start: its session revocation still happens and verify answers', async () => {
    const { m, dev } = await enrolledTotp(h);
    await h.redis.hset(accountKeys(m.id).devices, 'g', 'x');
    const right = () => codeAt(dev.secretBase32, h.clock);
    const wrong = () => (right() === '000000' ? '111111' : '000000');
    for (let i = 0; i < 4; i++) expect(await onB().verify(m.id, wrong())).toEqual({ valid: false, reason: 'invalid_code' });
    // the fifth starts the lockout: it is stored, announced and the sessions revoked
    expect(await onB().verify(m.id, wrong())).toEqual({ valid: false, reason: 'invalid_code' });
    await waitFor(() => revocations.some((r) => r.accountId === m.id && r.reason === 'locked_out') || null);
    expect(await onB().verify(m.id, right())).toEqual({ valid: false, reason: 'locked_out' });
  });

  it('a non-integer generation does not keep a reset device verifying (the change starts the generation over)', async () => {
    const { m, dev } = await enrolledTotp(h);
    await h.redis.hset(accountKeys(m.id).devices, 'g', '9'.repeat(30));
    await h.a.app.get(DevicesService).reset(m.orgId, m.id, dev.serialNumber);
    expect(await onB().verify(m.id, codeAt(dev.secretBase32, h.clock))).toEqual({ valid: false, reason: 'no_active_device' });
  });

  it.each(['x', 'inf', 'nan', '1e300', '1.5', '9'.repeat(30)])(
    'a live hash of %s values (written by hand) reads as absent: verify answers, a failure is counted',
    async (garbage) => {
      const { m, dev } = await enrolledTotp(h);
      const key = accountKeys(m.id).verify;
      const [{ id }] = await h.db.query(`SELECT id FROM mfa.devices WHERE serial_number = $1`, [dev.serialNumber]);
      await h.redis.hset(key, 'locked_until', garbage, 'fails', garbage, 'r:planted', garbage, `s:${id}`, garbage);
      const right = () => codeAt(dev.secretBase32, h.clock);
      const wrong = () => (right() === '000000' ? '111111' : '000000');
      expect(await onB().verify(m.id, wrong())).toEqual({ valid: false, reason: 'invalid_code' });
      expect(await h.redis.hget(key, 'fails')).toBe('1');
      expect(await onB().verify(m.id, right())).toMatchObject({ valid: true });
    },
  );

  it("an account id in another letter case shares the account's lockout (no second cache entry or live count)", async () => {
    const { m, dev } = await enrolledTotp(h);
    const upper = m.id.toUpperCase();
    const right = () => codeAt(dev.secretBase32, h.clock);
    const wrong = () => (right() === '000000' ? '111111' : '000000');
    // warmed without a failure: an unknown serial number answers no_active_device
    expect(await h.send(Patterns.MfaVerify, { accountId: upper, code: right(), serialNumber: 'totp-none' })).toEqual({
      valid: false,
      reason: 'no_active_device',
    });
    for (let i = 0; i < 5; i++) await h.send(Patterns.MfaVerify, { accountId: m.id, code: wrong() });
    expect(await h.send(Patterns.MfaVerify, { accountId: m.id, code: right() })).toEqual({ valid: false, reason: 'locked_out' });
    expect(await h.send(Patterns.MfaVerify, { accountId: upper, code: right() })).toEqual({ valid: false, reason: 'locked_out' });
  });

  // Known, not fixed (docs/security.md): the entry's step floor is the one of its fill (up to
  // CACHE_TTL_MS old); the steps accepted since are only in the live hash. Deleting it (or a
  // failover losing its last write while the entry survives) lets a code accepted within its
  // window (VERIFY_WINDOW_STEPS: up to ~90 s) verify again. Flip to it() once the floor is closed.
  it.failing('deleting the live hash (the entry kept) does not let a code already accepted and stored verify again', async () => {
    const { m, dev } = await enrolledTotp(h);
    const code = codeAt(dev.secretBase32, h.clock);
    expect(await onB().verify(m.id, code)).toMatchObject({ valid: true });
    // the step is written behind: once in Postgres it is the floor
    await waitFor(async () => {
      const [r] = await h.db.query(`SELECT last_step FROM mfa.devices WHERE serial_number = $1`, [dev.serialNumber]);
      return Number(r.last_step) === Math.floor(h.clock.now().getTime() / 30_000) || null;
    });
    await h.redis.del(accountKeys(m.id).verify);
    expect(await onB().verify(m.id, code)).toEqual({ valid: false, reason: 'invalid_code' });
  });
});
