import { jest } from '@jest/globals';
import { Patterns, type Member } from '@mfa/contracts';
import { accountKeys, ActiveDeviceCache, ORG_METHODS_TTL_MS, PrefetchedRead, type VerifyRow } from '../src/devices/active-device-cache';
import { OrgPolicyService } from '../src/policies/org-policy.service';
import { DevicesService } from '../src/lifecycle/devices.service';
import { VerificationService } from '../src/verification/verification.service';
import { codeAt, enrolledTotp, startHarness, waitFor, type Harness } from './mfa-test-harness';

/**
 * docs/mfa.md "Hot path": the verify read is an account's entry in Redis, written through by
 * every device change, guarded by a generation (a fill that loaded before a change is refused)
 * and a MAC. Instance a changes, instance b verifies: b must see the change at once.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ MFA_LOCKOUT_SECONDS: '60', SMS_RESEND_SECONDS: '0' });
});
afterAll(() => h?.close());

const onB = () => h.b.app.get(VerificationService);
const cacheOf = (side: 'a' | 'b') => h[side].app.get(ActiveDeviceCache);
const entry = (m: Member) => h.redis.hget(accountKeys(m.id).devices, 'd');

describe('the device cache across instances', () => {
  it('fills on enable: the entry holds the sealed seed, never the Base32 secret, and costs well under 1 kB a device', async () => {
    const { m, dev } = await enrolledTotp(h);
    const stored = await entry(m);
    expect(stored).toContain(dev.serialNumber);
    expect(stored).not.toContain(dev.secretBase32);
    const [{ secret_enc }] = await h.db.query(`SELECT secret_enc FROM mfa.devices WHERE serial_number = $1`, [dev.serialNumber]);
    expect(stored).toContain(secret_enc);
    const bytes = Number(await h.redis.call('MEMORY', 'USAGE', accountKeys(m.id).devices));
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThan(1000);
  });

  it('an admin reset through instance a is seen at once by verify on instance b', async () => {
    const { m, dev } = await enrolledTotp(h);
    expect(await onB().verify(m.id, codeAt(dev.secretBase32, h.clock))).toMatchObject({ valid: true });
    h.clock.advance(30_000);
    await h.a.app.get(DevicesService).reset(m.orgId, m.id, dev.serialNumber);
    expect(await onB().verify(m.id, codeAt(dev.secretBase32, h.clock))).toEqual({ valid: false, reason: 'no_active_device' });
  });

  it('a resync through instance a moves the window of verify on instance b at once', async () => {
    const { m, dev } = await enrolledTotp(h);
    const s = dev.secretBase32;
    expect(await onB().verify(m.id, codeAt(s, h.clock, 6))).toEqual({ valid: false, reason: 'invalid_code' });
    await h.send(Patterns.MfaDevicesResync, {
      accountId: m.id,
      serialNumber: dev.serialNumber,
      code1: codeAt(s, h.clock, 4),
      code2: codeAt(s, h.clock, 5),
    });
    // drift 5: steps 4..6 around it, after the last one (5)
    expect(await onB().verify(m.id, codeAt(s, h.clock, 6))).toMatchObject({ valid: true });
  });

  it('a disallowed method (org policy): refused at once on the instance that applied it, within ORG_METHODS_TTL_MS on the other', async () => {
    const { m, dev } = await enrolledTotp(h);
    // b's verify reads the entry and its org's allowed methods (b now believes them for ORG_METHODS_TTL_MS)
    expect(await onB().verify(m.id, codeAt(dev.secretBase32, h.clock))).toMatchObject({ valid: true });
    h.clock.advance(30_000);
    const policy = {
      orgId: m.orgId,
      version: 1,
      requireMfa: false,
      allowedMethods: ['sms' as const],
      secureMethodsOnly: false,
      conditions: [],
    };
    expect(await h.a.app.get(OrgPolicyService).apply(policy)).toEqual({ accepted: true, version: 1 });
    const code = codeAt(dev.secretBase32, h.clock);
    expect(await h.a.app.get(VerificationService).verify(m.id, code)).toEqual({ valid: false, reason: 'method_not_allowed' });
    await new Promise((r) => setTimeout(r, ORG_METHODS_TTL_MS + 50));
    expect(await onB().verify(m.id, code)).toEqual({ valid: false, reason: 'method_not_allowed' });
  });

  it('verify takes the read the bus gate started (BUS_PREFETCH), only for the account it names', async () => {
    const { m, dev } = await enrolledTotp(h);
    const other = await enrolledTotp(h);
    const cache = cacheOf('b');
    const hmget = jest.spyOn((cache as unknown as { redis: { hmget: (...a: unknown[]) => unknown } }).redis, 'hmget');
    try {
      // another account's read is never taken: b reads m's entry itself
      const foreign = cache.prefetch({ accountId: other.m.id });
      hmget.mockClear();
      expect(await onB().verify(m.id, codeAt(dev.secretBase32, h.clock), undefined, foreign)).toMatchObject({ valid: true });
      expect(hmget).toHaveBeenCalledTimes(1);
      // its own (named in any case) is: no second read
      h.clock.advance(30_000);
      const own = cache.prefetch({ accountId: m.id.toUpperCase() });
      hmget.mockClear();
      expect(await onB().verify(m.id, codeAt(dev.secretBase32, h.clock), undefined, own)).toMatchObject({ valid: true });
      expect(hmget).not.toHaveBeenCalled();
      expect(cache.prefetch({ accountId: 'not-a-uuid' })).toBeUndefined();
    } finally {
      hmget.mockRestore();
    }
    // over the bus: whichever instance serves it, its handler is handed the gate's read of this account
    const rows = (['a', 'b'] as const).map((side) => jest.spyOn(cacheOf(side), 'rows'));
    try {
      h.clock.advance(30_000);
      expect(await h.send(Patterns.MfaVerify, { accountId: m.id, code: codeAt(dev.secretBase32, h.clock) })).toMatchObject({ valid: true });
      const handed = rows.flatMap((r) => r.mock.calls.map((c) => c[3]));
      expect(handed).toEqual([expect.any(PrefetchedRead)]);
      expect((handed[0] as PrefetchedRead).accountId).toBe(m.id.toLowerCase());
    } finally {
      rows.forEach((r) => r.mockRestore());
    }
  });

  it('refuses a fill that loaded before a change: the change wins, on every instance', async () => {
    const { m, dev } = await enrolledTotp(h);
    await h.redis.hdel(accountKeys(m.id).devices, 'd'); // a miss on b's next read
    const b = cacheOf('b') as unknown as { loadRows(ids: readonly string[]): Promise<VerifyRow[][]> };
    const load = b.loadRows.bind(b);
    const spy = jest.spyOn(b, 'loadRows').mockImplementationOnce(async (ids) => {
      const before = await load(ids);
      // the reset commits and writes through while b holds the rows it loaded before it
      await h.a.app.get(DevicesService).reset(m.orgId, m.id, dev.serialNumber);
      return before;
    });
    // b answers from what it read (the reset was not done when its read began) ...
    expect(await onB().verify(m.id, codeAt(dev.secretBase32, h.clock))).toMatchObject({ valid: true });
    expect(spy).toHaveBeenCalled();
    // ... but could not store it: the entry is the reset's
    expect(await entry(m)).not.toContain(dev.serialNumber);
    h.clock.advance(30_000);
    expect(await onB().verify(m.id, codeAt(dev.secretBase32, h.clock))).toEqual({ valid: false, reason: 'no_active_device' });
  });

  it('refuses a fill whose generation moved between the read and the fill (the script alone)', async () => {
    const { m } = await enrolledTotp(h);
    const key = accountKeys(m.id).devices;
    const gen = (await h.redis.hget(key, 'g')) ?? '0';
    const cache = cacheOf('a') as unknown as {
      fill(accountId: string, gen: string, rows: VerifyRow[], now: Date): Promise<void>;
      invalidate(accountId: string): Promise<number>;
    };
    const rows = await cacheOf('a').rows(m.id, null, h.clock.now());
    expect(await cache.invalidate(m.id)).toBe(Number(gen) + 1);
    await cache.fill(m.id, gen, rows, h.clock.now());
    expect(await h.redis.hget(key, 'd')).toBeNull();
    await cache.fill(m.id, String(Number(gen) + 1), rows, h.clock.now());
    expect(await h.redis.hget(key, 'd')).not.toBeNull();
  });

  it('does not believe an entry edited in Redis (a planted drift) or copied from another account', async () => {
    const { m, dev } = await enrolledTotp(h);
    const other = await enrolledTotp(h);
    const key = accountKeys(m.id).devices;
    const stored = (await entry(m))!;
    // drift +8, MAC unchanged: refused, reloaded from Postgres (drift 0)
    await h.redis.hset(key, 'd', stored.replace(/,0,("?\d+"?|null),null,null,/, ',8,$1,null,null,'));
    expect(await entry(m)).not.toBe(stored);
    expect(await onB().verify(m.id, codeAt(dev.secretBase32, h.clock, 8))).toEqual({ valid: false, reason: 'invalid_code' });
    expect(await onB().verify(m.id, codeAt(dev.secretBase32, h.clock))).toMatchObject({ valid: true });
    // another account's genuine entry: its device is not this account's
    h.clock.advance(30_000);
    await h.redis.hset(key, 'd', (await entry(other.m))!);
    expect(await onB().verify(m.id, codeAt(other.dev.secretBase32, h.clock))).toEqual({ valid: false, reason: 'invalid_code' });
    expect(await onB().verify(m.id, codeAt(dev.secretBase32, h.clock))).toMatchObject({ valid: true });
  });

  it('an older entry put back and the live hash deleted do not lift a lockout', async () => {
    const { m, dev } = await enrolledTotp(h);
    const keys = accountKeys(m.id);
    const before = (await entry(m))!; // saved by someone with Redis access, before the lockout
    const right = () => codeAt(dev.secretBase32, h.clock);
    const wrong = () => (right() === '000000' ? '111111' : '000000');
    for (let i = 0; i < 5; i++) expect(await onB().verify(m.id, wrong())).toMatchObject({ valid: false, reason: 'invalid_code' });
    const rollBack = async () => {
      await h.redis.del(keys.verify);
      await h.redis.hset(keys.devices, 'd', before);
    };
    const onA = () => h.a.app.get(VerificationService);
    // b counted the failure that started the lockout: it refuses at once
    await rollBack();
    expect(await onB().verify(m.id, wrong())).toEqual({ valid: false, reason: 'locked_out' });
    await rollBack();
    expect(await onB().verify(m.id, right())).toEqual({ valid: false, reason: 'locked_out' });
    // a never saw it: one more guess, which Postgres answers with the lockout; a then refuses too
    await rollBack();
    expect(await onA().verify(m.id, wrong())).toEqual({ valid: false, reason: 'invalid_code' });
    await rollBack();
    expect(await onA().verify(m.id, right())).toEqual({ valid: false, reason: 'locked_out' });
  });

  // last: FLUSHDB also empties the bus' streams (the services read on; the next test would need them)
  it('after FLUSHDB between a change and a verify, verify reloads the change from Postgres', async () => {
    const { m, dev } = await enrolledTotp(h);
    const kept = await enrolledTotp(h);
    expect(await onB().verify(m.id, codeAt(dev.secretBase32, h.clock))).toMatchObject({ valid: true });
    expect(await onB().verify(kept.m.id, codeAt(kept.dev.secretBase32, h.clock))).toMatchObject({ valid: true });
    // the steps are written behind: once in Postgres, the loss cannot replay them
    await waitFor(async () => {
      const [r] = await h.db.query(`SELECT last_step FROM mfa.devices WHERE serial_number = $1`, [kept.dev.serialNumber]);
      return Number(r.last_step) === Math.floor(h.clock.now().getTime() / 30_000) || null;
    });
    await h.a.app.get(DevicesService).reset(m.orgId, m.id, dev.serialNumber);
    await h.redis.flushdb();
    expect(await onB().verify(m.id, codeAt(dev.secretBase32, h.clock))).toEqual({ valid: false, reason: 'no_active_device' });
    expect(await onB().verify(kept.m.id, codeAt(kept.dev.secretBase32, h.clock))).toEqual({ valid: false, reason: 'invalid_code' });
    h.clock.advance(30_000);
    expect(await onB().verify(kept.m.id, codeAt(kept.dev.secretBase32, h.clock))).toMatchObject({ valid: true });
  });
});
