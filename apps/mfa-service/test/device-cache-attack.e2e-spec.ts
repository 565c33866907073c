import { randomUUID } from 'node:crypto';
import { Patterns } from '@mfa/contracts';
import { accountKeys, ActiveDeviceCache, CACHE_TTL_MS, PrefetchedRead } from '../src/devices/active-device-cache';
import { DeviceRepository } from '../src/devices/device.repository';
import { DeviceEnrollmentService } from '../src/lifecycle/device-enrollment.service';
import { DevicesService } from '../src/lifecycle/devices.service';
import { VerificationService } from '../src/verification/verification.service';
import { VerifyState } from '../src/verification/verify-state';
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

  // The entry's step floor is the one of its fill (up to CACHE_TTL_MS old): every accepted step is
  // also written to the entry's hash (`s:<deviceId>`, docs/mfa.md "Hot path"), so losing either
  // hash alone (deleted, evicted, a failover losing its last write) replays no code within its window.
  const storedStep = async (serialNumber: string) =>
    Number((await h.db.query(`SELECT last_step FROM mfa.devices WHERE serial_number = $1`, [serialNumber]))[0].last_step);
  const nowStep = () => Math.floor(h.clock.now().getTime() / 30_000);

  it('deleting the live hash (the entry kept) does not let a code already accepted and stored verify again', async () => {
    const { m, dev } = await enrolledTotp(h);
    const code = codeAt(dev.secretBase32, h.clock);
    expect(await onB().verify(m.id, code)).toMatchObject({ valid: true });
    // the step is written behind: once in Postgres it is the floor (the entry still holds the one of its fill)
    await waitFor(async () => (await storedStep(dev.serialNumber)) === nowStep() || null);
    await h.redis.del(accountKeys(m.id).verify);
    expect(await onB().verify(m.id, code)).toEqual({ valid: false, reason: 'invalid_code' });
    expect(await h.a.app.get(VerificationService).verify(m.id, code)).toEqual({ valid: false, reason: 'invalid_code' });
  });

  it('deleting the live hash before the step is written behind does not let the code verify again', async () => {
    const { m, dev } = await enrolledTotp(h);
    const code = codeAt(dev.secretBase32, h.clock);
    expect(await onB().verify(m.id, code)).toMatchObject({ valid: true });
    await h.redis.del(accountKeys(m.id).verify);
    expect(await onB().verify(m.id, code)).toEqual({ valid: false, reason: 'invalid_code' });
  });

  it('deleting the entry (the live hash kept) does not let an accepted code verify again, stored in Postgres or not', async () => {
    const { m, dev } = await enrolledTotp(h);
    const code = codeAt(dev.secretBase32, h.clock);
    expect(await onB().verify(m.id, code)).toMatchObject({ valid: true });
    await h.redis.del(accountKeys(m.id).devices);
    expect(await onB().verify(m.id, code)).toEqual({ valid: false, reason: 'invalid_code' });
    await waitFor(async () => (await storedStep(dev.serialNumber)) === nowStep() || null);
    await h.redis.del(accountKeys(m.id).devices);
    expect(await onB().verify(m.id, code)).toEqual({ valid: false, reason: 'invalid_code' });
  });

  it('a fill after an accept (a device change, Postgres behind) keeps the accepted step in the entry', async () => {
    const { m, dev } = await enrolledTotp(h);
    const code = codeAt(dev.secretBase32, h.clock);
    expect(await onB().verify(m.id, code)).toMatchObject({ valid: true });
    await waitFor(async () => (await storedStep(dev.serialNumber)) === nowStep() || null);
    // Postgres as it was before the write behind landed: the fill below reads the older floor
    await h.db.query(`UPDATE mfa.devices SET last_step = last_step - 2 WHERE serial_number = $1`, [dev.serialNumber]);
    const [{ id }] = await h.db.query(`SELECT id FROM mfa.devices WHERE serial_number = $1`, [dev.serialNumber]);
    const key = accountKeys(m.id).devices;
    await h.a.app.get(ActiveDeviceCache).changed(m.id, h.clock.now());
    expect(await h.redis.hget(key, 'd')).toContain(`"${nowStep() - 2}"`);
    expect(await h.redis.hget(key, `s:${id}`)).toBe(String(nowStep()));
    await h.redis.del(accountKeys(m.id).verify);
    expect(await onB().verify(m.id, code)).toEqual({ valid: false, reason: 'invalid_code' });
  });

  it("with both hashes' steps lost, the script still refuses a step at or before the caller's floor", async () => {
    const { m, dev } = await enrolledTotp(h);
    const [{ id }] = await h.db.query(`SELECT id FROM mfa.devices WHERE serial_number = $1`, [dev.serialNumber]);
    const state = h.a.app.get(VerifyState);
    const step = nowStep();
    expect(await state.decide(m.id, h.clock.now(), { deviceId: id, step, floor: String(step) })).toMatchObject({ verdict: 'failed' });
    expect(await state.decide(m.id, h.clock.now(), { deviceId: id, step, floor: String(step - 1) })).toMatchObject({ verdict: 'accepted' });
    expect(await state.lastStep(m.id, id)).toBe(step);
    // the entry's hash created by the accept (deleted meanwhile) expires like an entry
    await h.redis.del(accountKeys(m.id).devices);
    expect(await state.decide(m.id, h.clock.now(), { deviceId: id, step: step + 1, floor: null })).toMatchObject({ verdict: 'accepted' });
    expect(await h.redis.hget(accountKeys(m.id).devices, `s:${id}`)).toBe(String(step + 1));
    expect(await h.redis.pttl(accountKeys(m.id).devices)).toBeGreaterThan(CACHE_TTL_MS - 60_000);
  });

  it('a resync does not move the step back below one accepted in Redis and not yet stored', async () => {
    const { m, dev } = await enrolledTotp(h);
    const s = dev.secretBase32;
    expect(await onB().verify(m.id, codeAt(s, h.clock, 1))).toMatchObject({ valid: true });
    // Postgres behind (the write behind not landed): its CAS alone would take the pair -1, 0
    await waitFor(async () => (await storedStep(dev.serialNumber)) === nowStep() + 1 || null);
    await h.db.query(`UPDATE mfa.devices SET last_step = last_step - 2 WHERE serial_number = $1`, [dev.serialNumber]);
    const pair = { accountId: m.id, serialNumber: dev.serialNumber, code1: codeAt(s, h.clock, -1), code2: codeAt(s, h.clock, 0) };
    expect((await h.failure(Patterns.MfaDevicesResync, pair)).code).toBe('invalid_code');
    expect(await onB().verify(m.id, codeAt(s, h.clock, 1))).toEqual({ valid: false, reason: 'invalid_code' });
  });

  it("a verify of a resync pair's second code, racing the resync, and the resync do not both take the code", async () => {
    const { m, dev } = await enrolledTotp(h);
    const s = dev.secretBase32;
    const devices = h.a.app.get(DeviceRepository);
    const setDrift = devices.setDrift.bind(devices);
    let verified: unknown;
    // the verify lands after the resync's replay check and before its Postgres compare-and-set
    const race = jest.spyOn(devices, 'setDrift').mockImplementationOnce(async (...args) => {
      verified = await onB().verify(m.id, codeAt(s, h.clock, 0));
      return setDrift(...args);
    });
    let resynced: boolean;
    try {
      resynced = await h.a.app
        .get(DeviceEnrollmentService)
        .resync(m.id, dev.serialNumber, codeAt(s, h.clock, -1), codeAt(s, h.clock, 0))
        .then(
          () => true,
          () => false,
        );
    } finally {
      race.mockRestore();
    }
    expect(verified).toBeDefined(); // the race ran
    expect([resynced, (verified as { valid: boolean }).valid].filter(Boolean)).toHaveLength(1);
  });
});

describe("a key holder's data against the gate's prefetch (docs/security.md, the bus)", () => {
  it('starts no read for data that is not an object or an accountId that is not a uuid string; an upper-case id reads the lower-case entry', async () => {
    const cache = h.a.app.get(ActiveDeviceCache);
    const hostile: unknown[] = [null, 5, 'x', [], {}, { accountId: 5 }, { accountId: [randomUUID()] }, { accountId: 'not-a-uuid' }];
    for (const data of hostile) expect(cache.prefetch(data)).toBeUndefined();
    const { m } = await enrolledTotp(h);
    const read = cache.prefetch({ accountId: m.id.toUpperCase() });
    expect(read).toBeInstanceOf(PrefetchedRead);
    expect(read!.accountId).toBe(m.id.toLowerCase());
    expect((await read!.fields)[0]).toBe(await h.redis.hget(accountKeys(m.id).devices, 'd'));
  });
});
