import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { InternalPatterns, Jobs, Patterns, type Member } from '@mfa/contracts';
import { Envelope, generateKeyRing, parseKeyRing, verifySessionToken } from '@mfa/crypto';
import { base32Decode } from '../src/methods/totp/base32';
import { phoneAad, seedAad } from '../src/common/aad';
import { ORG_METHODS_TTL_MS } from '../src/devices/active-device-cache';
import { PendingDeviceSweeper } from '../src/devices/pending-device-sweeper';
import { reencryptSecrets } from '../src/keys/secret-reencryption';
import { EventRelay } from '../src/events/event-relay';
import { LockoutService } from '../src/verification/lockout.service';
import { VerifyState } from '../src/verification/verify-state';
import { VerificationService } from '../src/verification/verification.service';
import {
  codeAt,
  createTotp as createTotpOf,
  enrolledTotp,
  freshSession,
  lastSmsCodeOf,
  newMember,
  oathtool,
  startHarness,
  waitFor,
  type Harness,
} from './mfa-test-harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ MFA_LOCKOUT_SECONDS: '60', SMS_RESEND_SECONDS: '0' });
});
afterAll(() => h?.close());

const createTotp = (m: Member, name = 'phone', sessionToken?: string) => createTotpOf(h, m, { name, sessionToken });

/**
 * A member with an enabled TOTP device; the clock then moves one step on (the enable step is used).
 * A member who already has an active device needs a fresh `sessionToken` (step-up).
 */
const enrolled = (m?: Member, sessionToken?: string) => enrolledTotp(h, m, { sessionToken });

const verify = (m: Member, code: string, serialNumber?: string) => h.send(Patterns.MfaVerify, { accountId: m.id, code, serialNumber });

describe('TOTP devices', () => {
  it('enrolls with oathtool as the authenticator: create, enable with two consecutive codes, verify a third', async () => {
    const m = newMember();
    const dev = await createTotp(m);
    expect(dev.status).toBe('pending');
    expect(dev.secretBase32).toMatch(/^[A-Z2-7]{32}$/); // 160 bits, no padding
    const device = await h.send(Patterns.MfaDevicesEnable, {
      accountId: m.id,
      serialNumber: dev.serialNumber,
      code1: oathtool(dev.secretBase32, h.clock, -1),
      code2: oathtool(dev.secretBase32, h.clock),
    });
    expect(device).toMatchObject({ serialNumber: dev.serialNumber, type: 'totp', status: 'active' });
    h.clock.advance(30_000);
    expect(await verify(m, oathtool(dev.secretBase32, h.clock))).toMatchObject({
      valid: true,
      serialNumber: dev.serialNumber,
      method: 'totp',
    });
    const jobs = await waitFor(async () => {
      const mine = (await h.queues.devices.getJobs()).filter((j) => j.data.accountId === m.id);
      return mine.length ? mine : null;
    });
    expect(jobs[0].name).toBe(Jobs.DeviceActivated);
    expect(jobs[0].data).toMatchObject({ orgId: m.orgId, serialNumber: dev.serialNumber, activeDeviceCount: 1, cause: 'enabled' });
  });

  it('gives an otpauth URI that parses back to the seed and a QR PNG that decodes to the URI', async () => {
    const m = newMember();
    const dev = await createTotp(m);
    const uri = new URL(dev.otpauthUri);
    expect(decodeURIComponent(uri.pathname)).toBe(`/${h.env.MFA_ISSUER}:${m.email}`);
    expect(Object.fromEntries(uri.searchParams)).toEqual({
      secret: dev.secretBase32,
      issuer: h.env.MFA_ISSUER,
      algorithm: 'SHA1',
      digits: '6',
      period: '30',
    });
    expect(base32Decode(uri.searchParams.get('secret')!)).toHaveLength(20);
    const png = PNG.sync.read(Buffer.from(dev.qrCodePng.replace(/^data:image\/png;base64,/, ''), 'base64'));
    expect(jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data).toBe(dev.otpauthUri);
  });

  it('keeps no seed in plain text in the device table', async () => {
    const m = newMember();
    const dev = await createTotp(m);
    const [row] = await h.db.query(`SELECT row_to_json(d)::text AS json FROM mfa.devices d WHERE serial_number = $1`, [dev.serialNumber]);
    const seed = base32Decode(dev.secretBase32);
    for (const form of [
      dev.secretBase32,
      dev.secretBase32.toLowerCase(),
      seed.toString('hex'),
      seed.toString('base64'),
      seed.toString('base64url'),
    ]) {
      expect(row.json).not.toContain(form);
    }
    const listed = await h.send(Patterns.MfaDevicesList, { accountId: m.id });
    expect(JSON.stringify(listed)).not.toContain(dev.secretBase32);
  });

  it('refuses enable codes out of order or beyond one step from now, and counts them', async () => {
    const m = newMember();
    const dev = await createTotp(m);
    const s = dev.secretBase32;
    for (const [c1, c2] of [
      [codeAt(s, h.clock, 0), codeAt(s, h.clock, -1)],
      [codeAt(s, h.clock, 1), codeAt(s, h.clock, 2)],
    ]) {
      expect(
        (await h.failure(Patterns.MfaDevicesEnable, { accountId: m.id, serialNumber: dev.serialNumber, code1: c1, code2: c2 })).code,
      ).toBe('invalid_code');
    }
    const state = h.a.app.get(VerifyState);
    expect(await state.failures(m.id)).toBe(2);
    await h.send(Patterns.MfaDevicesEnable, {
      accountId: m.id,
      serialNumber: dev.serialNumber,
      code1: codeAt(s, h.clock, 0),
      code2: codeAt(s, h.clock, 1),
    });
    expect(await state.failures(m.id)).toBe(0);
  });

  it('resyncs a drifted device within ±10 steps and then checks one step around the drift only', async () => {
    const { m, dev } = await enrolled();
    const s = dev.secretBase32;
    expect(await verify(m, codeAt(s, h.clock, 5))).toEqual({ valid: false, reason: 'invalid_code' });
    expect(
      (
        await h.failure(Patterns.MfaDevicesResync, {
          accountId: m.id,
          serialNumber: dev.serialNumber,
          code1: codeAt(s, h.clock, 11),
          code2: codeAt(s, h.clock, 12),
        })
      ).code,
    ).toBe('invalid_code');
    await h.send(Patterns.MfaDevicesResync, {
      accountId: m.id,
      serialNumber: dev.serialNumber,
      code1: codeAt(s, h.clock, 4),
      code2: codeAt(s, h.clock, 5),
    });
    h.clock.advance(30_000); // the device clock is 5 steps ahead: its code is now at +5
    expect(await verify(m, codeAt(s, h.clock, 8))).toEqual({ valid: false, reason: 'invalid_code' }); // drift + 3
    expect(await verify(m, codeAt(s, h.clock, 5))).toMatchObject({ valid: true });
    expect(await verify(m, codeAt(s, h.clock, 6))).toMatchObject({ valid: true }); // drift + 1
  });

  it('refuses a 9th device (pending and active count toward 8)', async () => {
    const m = newMember();
    for (let i = 0; i < 8; i++) await createTotp(m, `d${i}`);
    expect((await h.failure(Patterns.MfaDevicesCreate, { accountId: m.id, type: 'totp', name: 'ninth' })).code).toBe(
      'device_limit_reached',
    );
  });

  it('deletes expired pending devices, and only those, with their seeds', async () => {
    const { m, dev: active } = await enrolled();
    const stale = await createTotp(m, 'never enabled', await freshSession(h, m.id, active.secretBase32));
    h.clock.advance(h.env.DEVICE_PENDING_TTL_SECONDS * 1000);
    const fresh = await createTotp(m, 'just made', await freshSession(h, m.id, active.secretBase32));
    const sweeper = h.a.app.get(PendingDeviceSweeper);
    expect(await sweeper.sweep()).toBeGreaterThanOrEqual(1);
    const left = await h.db.query(`SELECT serial_number, status FROM mfa.devices WHERE account_id = $1 ORDER BY created_at`, [m.id]);
    expect(left).toEqual([
      { serial_number: active.serialNumber, status: 'active' },
      { serial_number: fresh.serialNumber, status: 'pending' },
    ]);
    expect(left.map((d: { serial_number: string }) => d.serial_number)).not.toContain(stale.serialNumber);
    expect(await sweeper.sweep()).toBe(0);
  });

  it('answers not_found for an unknown account', async () => {
    expect((await h.failure(Patterns.MfaDevicesCreate, { accountId: randomUUID(), type: 'totp', name: 'x' })).code).toBe('not_found');
  });
});

describe('verification', () => {
  it('accepts a code exactly once when 50 copies arrive at once on two instances', async () => {
    const { m, dev } = await enrolled();
    const code = codeAt(dev.secretBase32, h.clock);
    const replies = await Promise.all(Array.from({ length: 50 }, () => verify(m, code)));
    expect(replies.filter((r) => r.valid)).toHaveLength(1);
    // the losers are replays: invalid_code, each counted, so the later ones may meet the lockout
    const reasons = new Set(replies.filter((r) => !r.valid).map((r) => (r.valid ? 'valid' : r.reason)));
    expect(reasons.has('invalid_code')).toBe(true);
    expect([...reasons].every((r) => r === 'invalid_code' || r === 'locked_out')).toBe(true);
  });

  it('accepts a code exactly once when both instances race on the database directly', async () => {
    const { m, dev } = await enrolled();
    const code = codeAt(dev.secretBase32, h.clock);
    const [va, vb] = [h.a.app.get(VerificationService), h.b.app.get(VerificationService)];
    const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? va : vb).verify(m.id, code)));
    expect(replies.filter((r) => r.valid)).toHaveLength(1);
  });

  it('locks out after 5 failures for MFA_LOCKOUT_SECONDS from its start, even for a right code', async () => {
    const { m, dev } = await enrolled();
    for (let i = 0; i < 5; i++)
      expect(await verify(m, '000000' === codeAt(dev.secretBase32, h.clock) ? '111111' : '000000')).toMatchObject({
        reason: 'invalid_code',
      });
    expect(await verify(m, codeAt(dev.secretBase32, h.clock))).toEqual({ valid: false, reason: 'locked_out' });
    const sess = await h.failure(Patterns.MfaSessionsIssue, { accountId: m.id, code: codeAt(dev.secretBase32, h.clock) });
    expect(sess.code).toBe('locked_out');
    const audit = await waitFor(async () =>
      (await h.queues.audit.getJobs()).find((j) => j.data.action === 'verification.locked_out' && j.data.actor.id === m.id),
    );
    expect(audit.data).toMatchObject({ orgId: m.orgId, actor: { type: 'account', id: m.id } });
    h.clock.advance(59_000);
    expect(await verify(m, codeAt(dev.secretBase32, h.clock))).toEqual({ valid: false, reason: 'locked_out' });
    h.clock.advance(1_000);
    expect(await verify(m, codeAt(dev.secretBase32, h.clock))).toMatchObject({ valid: true });
  });

  it('refuses a right code whose check raced the start of a lockout (no guess beyond the limit)', async () => {
    const { m, dev } = await enrolled();
    const [{ id, last_step }] = await h.db.query(`SELECT id, last_step FROM mfa.devices WHERE serial_number = $1`, [dev.serialNumber]);
    const state = h.a.app.get(VerifyState);
    const now = h.clock.now();
    const wrong = '000000' === codeAt(dev.secretBase32, h.clock) ? '111111' : '000000';
    for (let i = 0; i < 5; i++) await verify(m, wrong);
    // a request that read "not locked" and matched its code before the 5th failure landed
    expect(await state.acceptStep(m.id, { deviceId: id, step: Number(last_step) + 1, floor: last_step }, now)).toMatchObject({
      outcome: 'locked',
    });
    // the lockout is also in Postgres, where it outlives a Redis that loses its data
    const [stored] = await h.db.query(`SELECT failures, locked_until FROM mfa.account_failures WHERE account_id = $1`, [m.id]);
    expect(stored).toEqual({ failures: 5, locked_until: new Date(now.getTime() + 60_000) });
    // its failure is then recorded under the lockout, which makes its answer locked_out
    expect(await h.a.app.get(LockoutService).fail(m.id, m.orgId, now)).toBe(true);
  });

  it('keeps accepted steps and lockouts when Redis loses the verification state', async () => {
    const { m, dev } = await enrolled();
    const code = codeAt(dev.secretBase32, h.clock);
    const lose = () => h.redis.del(`mfa:{a:${m.id}}:verify`, `mfa:{a:${m.id}}:devices`);
    expect(await verify(m, code)).toMatchObject({ valid: true });
    // the step is written behind the reply: once it is in Postgres, Redis may forget it
    const stored = async () =>
      (await h.db.query(`SELECT last_step FROM mfa.devices WHERE serial_number = $1`, [dev.serialNumber]))[0].last_step;
    await waitFor(async () => Number(await stored()) === Math.floor(h.clock.now().getTime() / 30_000) || null);
    await lose();
    expect(await verify(m, code)).toEqual({ valid: false, reason: 'invalid_code' });
    for (let i = 0; i < 4; i++) await verify(m, code);
    await lose();
    h.clock.advance(30_000);
    expect(await verify(m, codeAt(dev.secretBase32, h.clock))).toEqual({ valid: false, reason: 'locked_out' });
  });

  it('does not count no_active_device', async () => {
    const m = newMember();
    for (let i = 0; i < 6; i++) expect(await verify(m, '123456')).toEqual({ valid: false, reason: 'no_active_device' });
    expect(await h.a.app.get(VerifyState).failures(m.id)).toBe(0);
  });

  it('names the bad field in validation errors', async () => {
    const bad = await h.failure(Patterns.MfaVerify, { accountId: 'nope', code: '123456' });
    expect(bad).toMatchObject({ code: 'validation_failed' });
    expect(bad.message).toContain('accountId');
    const sms = await h.failure(Patterns.MfaDevicesCreate, { accountId: randomUUID(), type: 'sms', name: 'x', phoneNumber: '555-1234' });
    expect(sms.message).toContain('phoneNumber');
    const dur = await h.failure(Patterns.MfaSessionsIssue, { accountId: randomUUID(), code: '123456', durationSeconds: 60 });
    expect(dur.message).toContain('durationSeconds');
  });
});

describe('SMS devices', () => {
  const lastSmsCode = (serialNumber: string) => lastSmsCodeOf(h, serialNumber);

  it('sends a code on create, enables with code1, and accepts each sent code once', async () => {
    const m = newMember();
    const dev = await h.send(Patterns.MfaDevicesCreate, { accountId: m.id, type: 'sms', name: 'mobile', phoneNumber: '+14155550123' });
    expect(dev).toEqual({ serialNumber: expect.any(String), status: 'pending' });
    const code = await lastSmsCode(dev.serialNumber);
    expect(
      await h.db.query(
        `SELECT 1 FROM mfa.devices WHERE serial_number = $1 AND (phone_enc LIKE '%4155550123%' OR sms_code_hash::text LIKE $2)`,
        [dev.serialNumber, `%${code}%`],
      ),
    ).toHaveLength(0);
    expect(await h.send(Patterns.MfaDevicesEnable, { accountId: m.id, serialNumber: dev.serialNumber, code1: code })).toMatchObject({
      status: 'active',
      type: 'sms',
    });

    h.clock.advance(1000);
    const sent = await h.send(Patterns.MfaSmsSend, { accountId: m.id, serialNumber: dev.serialNumber });
    expect(sent).toEqual({ sent: true, expiresAt: new Date(h.clock.now().getTime() + 300_000).toISOString() });
    const next = await lastSmsCode(dev.serialNumber);
    expect(await verify(m, next)).toMatchObject({ valid: true, method: 'sms', serialNumber: dev.serialNumber });
    expect(await verify(m, next)).toEqual({ valid: false, reason: 'invalid_code' });
  });

  it('lets an SMS code expire after 5 minutes', async () => {
    const m = newMember();
    const dev = await h.send(Patterns.MfaDevicesCreate, { accountId: m.id, type: 'sms', name: 'mobile', phoneNumber: '+442071838750' });
    await h.send(Patterns.MfaDevicesEnable, {
      accountId: m.id,
      serialNumber: dev.serialNumber,
      code1: await lastSmsCode(dev.serialNumber),
    });
    await h.send(Patterns.MfaSmsSend, { accountId: m.id, serialNumber: dev.serialNumber });
    h.clock.advance(300_000);
    expect(await verify(m, await lastSmsCode(dev.serialNumber))).toEqual({ valid: false, reason: 'invalid_code' });
  });
});

describe('recovery codes', () => {
  it('gives 10 single-use codes; a new set cancels the old one', async () => {
    const { m, dev } = await enrolled();
    const { codes } = await h.send(Patterns.MfaRecoveryCodesGenerate, {
      accountId: m.id,
      sessionToken: await freshSession(h, m.id, dev.secretBase32),
    });
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    const [first, second] = codes;
    const results = await Promise.all([verify(m, first), verify(m, first.toUpperCase())]);
    expect(results.filter((r) => r.valid)).toEqual([
      { valid: true, serialNumber: null, method: 'recovery_code', verifiedAt: expect.any(String) },
    ]);
    const audit = await waitFor(async () =>
      (await h.queues.audit.getJobs()).find((j) => j.data.action === 'recovery_code.used' && j.data.actor.id === m.id),
    );
    expect(audit.data.details).toEqual({ remaining: 9 });
    const { codes: fresh } = await h.send(Patterns.MfaRecoveryCodesGenerate, {
      accountId: m.id,
      sessionToken: await freshSession(h, m.id, dev.secretBase32),
    });
    expect(await verify(m, second)).toEqual({ valid: false, reason: 'invalid_code' });
    expect(await verify(m, fresh[0])).toMatchObject({ valid: true });
    const stored = JSON.stringify(
      await h.db.query(`SELECT encode(hash, 'hex') h, encode(salt, 'hex') s FROM mfa.recovery_codes WHERE account_id = $1`, [m.id]),
    );
    for (const c of fresh) expect(stored).not.toContain(c.replace(/-/g, ''));
  });
});

describe('sessions', () => {
  it('trades a valid code for an EdDSA token that verifies offline against the JWKS', async () => {
    const { m, dev } = await enrolled();
    const reply = await h.send(Patterns.MfaSessionsIssue, {
      accountId: m.id,
      code: codeAt(dev.secretBase32, h.clock),
      durationSeconds: 900,
    });
    expect(reply.expiresAt).toBe(new Date(Math.floor(h.clock.now().getTime() / 1000) * 1000 + 900_000).toISOString());
    const jwks = await h.send(Patterns.MfaSessionsJwks, {});
    expect(jwks.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig', kid: expect.any(String) });
    expect(jwks.keys[0]).not.toHaveProperty('d');
    const check = await verifySessionToken(reply.token, jwks, { now: h.clock.now(), accountId: m.id });
    expect(check).toMatchObject({
      ok: true,
      claims: {
        sub: m.id,
        org: m.orgId,
        device: dev.serialNumber,
        method: 'totp',
        mfa_at: Math.floor(new Date(reply.mfaAuthenticatedAt).getTime() / 1000),
      },
    });
    expect(await verifySessionToken(reply.token, jwks as never, { now: new Date(h.clock.now().getTime() + 901_000) })).toEqual({
      ok: false,
      reason: 'expired',
    });
    expect((await h.failure(Patterns.MfaSessionsIssue, { accountId: m.id, code: codeAt(dev.secretBase32, h.clock) })).code).toBe(
      'invalid_code',
    );
  });
});

describe('org policy, deactivation and admin reset', () => {
  const applyPolicy = (orgId: string, version: number, requireMfa: boolean, allowedMethods: Array<'totp' | 'sms'>) =>
    h.send(InternalPatterns.MfaPolicyApply, {
      policy: {
        orgId,
        version,
        requireMfa,
        allowedMethods,
        gracePeriodHours: 0,
        maxMfaAgeSeconds: null,
        updatedAt: new Date().toISOString(),
      },
    });

  // the harness runs two instances: the one that did not apply the policy follows within ORG_METHODS_TTL_MS (docs/mfa.md)
  const othersFollow = () => new Promise((r) => setTimeout(r, ORG_METHODS_TTL_MS + 50));

  it('enforces allowed methods and never goes back to an older policy version', async () => {
    const { m, dev } = await enrolled();
    const sessionToken = await freshSession(h, m.id, dev.secretBase32); // before the policy refuses TOTP
    expect(await applyPolicy(m.orgId, 2, true, ['sms'])).toEqual({ accepted: true });
    expect(await applyPolicy(m.orgId, 1, false, ['totp', 'sms'])).toEqual({ accepted: false });
    await othersFollow();
    expect(await verify(m, codeAt(dev.secretBase32, h.clock))).toEqual({ valid: false, reason: 'method_not_allowed' });
    expect((await h.failure(Patterns.MfaDevicesCreate, { accountId: m.id, type: 'totp', name: 'x', sessionToken })).code).toBe(
      'method_not_allowed',
    );
    expect(await applyPolicy(m.orgId, 3, true, ['totp'])).toEqual({ accepted: true });
    await othersFollow();
    expect(await verify(m, codeAt(dev.secretBase32, h.clock))).toMatchObject({ valid: true });
  });

  it('keeps the last active device while MFA is required; an admin reset removes it', async () => {
    const { m, dev } = await enrolled();
    await applyPolicy(m.orgId, 1, true, ['totp', 'sms']);
    const sessionToken = await freshSession(h, m.id, dev.secretBase32);
    expect((await h.failure(Patterns.MfaDevicesDeactivate, { accountId: m.id, serialNumber: dev.serialNumber, sessionToken })).code).toBe(
      'conflict',
    );
    const other = newMember();
    expect(
      (await h.failure(InternalPatterns.MfaDevicesReset, { orgId: randomUUID(), accountId: m.id, serialNumber: dev.serialNumber })).code,
    ).toBe('not_found');
    expect(
      (await h.failure(InternalPatterns.MfaDevicesReset, { orgId: m.orgId, accountId: other.id, serialNumber: dev.serialNumber })).code,
    ).toBe('not_found');
    const reset = await h.send(InternalPatterns.MfaDevicesReset, { orgId: m.orgId, accountId: m.id, serialNumber: dev.serialNumber });
    expect(reset).toMatchObject({ device: { serialNumber: dev.serialNumber, status: 'deactivated' }, activeDeviceCount: 0 });
    expect(await verify(m, codeAt(dev.secretBase32, h.clock))).toEqual({ valid: false, reason: 'no_active_device' });
    const job = await waitFor(async () =>
      (await h.queues.devices.getJobs()).find((j) => j.data.accountId === m.id && j.name === Jobs.DeviceDeactivated),
    );
    expect(job.data).toMatchObject({ cause: 'admin_reset', activeDeviceCount: 0 });
  });

  it('lets a member deactivate a device when another stays active, and summarizes devices', async () => {
    const { m, dev } = await enrolled();
    const { dev: second } = await enrolled(m, await freshSession(h, m.id, dev.secretBase32));
    await applyPolicy(m.orgId, 1, true, ['totp', 'sms']);
    const sessionToken = await freshSession(h, m.id, dev.secretBase32);
    expect(await h.send(Patterns.MfaDevicesDeactivate, { accountId: m.id, serialNumber: dev.serialNumber, sessionToken })).toMatchObject({
      status: 'deactivated',
    });
    const [row] = await h.db.query(`SELECT secret_enc FROM mfa.devices WHERE serial_number = $1`, [dev.serialNumber]);
    expect(row.secret_enc).toBeNull();
    expect(await verify(m, codeAt(second.secretBase32, h.clock))).toMatchObject({ valid: true });
    // the last use is written behind the reply (within WRITE_BEHIND_MS)
    const summarize = () => h.send(InternalPatterns.MfaDevicesSummary, { orgId: m.orgId, accountIds: [m.id, randomUUID()] });
    const summary = await waitFor(async () => {
      const s = await summarize();
      return s.accounts[m.id].lastUsedAt === h.clock.now().toISOString() ? s : null;
    });
    expect(summary.devicesByType).toEqual({ totp: 1, sms: 0, webauthn: 0 });
    expect(summary.accounts[m.id]).toEqual({
      activeCount: 1,
      secureActiveCount: 1,
      deviceCount: 1,
      lastUsedAt: h.clock.now().toISOString(),
    });
    expect(Object.values(summary.accounts)[1]).toEqual({ activeCount: 0, secureActiveCount: 0, deviceCount: 0, lastUsedAt: null });
    await h.a.app.get(EventRelay).drain();
    const audits = (await h.queues.audit.getJobs())
      .filter((j) => j.data.actor.id === m.id)
      .map((j) => j.data.action)
      .sort();
    expect(audits).toEqual([
      'device.deactivated',
      'device.enabled',
      'device.enabled',
      'session.issued',
      'session.issued',
      'session.revoked',
    ]);
  });

  it('answers the ping and serves /health and /metrics', async () => {
    expect(await h.send(InternalPatterns.MfaPing, {})).toEqual({ pong: true });
    const base = `http://127.0.0.1:${h.a.port}`;
    expect((await fetch(`${base}/health`)).status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/mfa_verify_total\{[^}]*result="valid"/);
    expect(metrics).toContain('mfa_verify_duration_seconds_bucket');
  });
});

describe('key rotation', () => {
  it('re-encrypts every seed and phone number under the new key, then back, and old rows still verify', async () => {
    const { m, dev } = await enrolled();
    const sessionToken = await freshSession(h, m.id, dev.secretBase32);
    const sms = await h.send(Patterns.MfaDevicesCreate, {
      accountId: m.id,
      type: 'sms',
      name: 'mobile',
      phoneNumber: '+14155550199',
      sessionToken,
    });
    const oldRing = readFileSync(join(h.env.KEYS_DIR, 'mfa-encryption-keys'), 'utf8').trim();
    const newKey = generateKeyRing();
    const rotated = new Envelope(parseKeyRing(`${newKey},${oldRing}`));
    const sealed = async () =>
      Object.fromEntries(
        (await h.db.query(`SELECT serial_number, id, secret_enc, phone_enc FROM mfa.devices WHERE account_id = $1`, [m.id])).map(
          (r: { serial_number: string }) => [r.serial_number, r],
        ),
      ) as Record<string, { id: string; secret_enc: string | null; phone_enc: string | null }>;

    // a device under a key no longer in the ring: reported, left as it is, the rest goes on
    const lost = await createTotp(newMember(), 'lost key');
    const gone = new Envelope(parseKeyRing(generateKeyRing()));
    const [{ id: lostId }] = await h.db.query(`SELECT id FROM mfa.devices WHERE serial_number = $1`, [lost.serialNumber]);
    await h.db.query(`UPDATE mfa.devices SET secret_enc = $2 WHERE id = $1`, [lostId, gone.encrypt(Buffer.alloc(20, 7), seedAad(lostId))]);

    const forward = await reencryptSecrets(h.db, rotated, 7);
    expect(forward.reencrypted).toBeGreaterThanOrEqual(2);
    expect(forward.unreadableKids).toEqual([gone.currentKid]);
    const rows = await sealed();
    expect(Envelope.kidOf(rows[dev.serialNumber].secret_enc!)).toBe(rotated.currentKid);
    expect(Envelope.kidOf(rows[sms.serialNumber].phone_enc!)).toBe(rotated.currentKid);
    // the new key alone opens them: the old one could now be removed
    const newOnly = new Envelope(parseKeyRing(newKey));
    expect(newOnly.decrypt(rows[dev.serialNumber].secret_enc!, seedAad(rows[dev.serialNumber].id))).toEqual(base32Decode(dev.secretBase32));
    expect(newOnly.decrypt(rows[sms.serialNumber].phone_enc!, phoneAad(rows[sms.serialNumber].id)).toString()).toBe('+14155550199');
    expect((await reencryptSecrets(h.db, rotated)).reencrypted).toBe(0);

    // and back under the services' key (they run with the old ring only), which verifies again
    await reencryptSecrets(h.db, new Envelope(parseKeyRing(`${oldRing},${newKey}`)));
    expect(Envelope.kidOf((await sealed())[dev.serialNumber].secret_enc!)).toBe(oldRing.split(':')[0]);
    expect(await verify(m, codeAt(dev.secretBase32, h.clock))).toMatchObject({ valid: true });
  });
});
