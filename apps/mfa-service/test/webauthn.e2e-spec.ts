/** WebAuthn devices (docs/mfa.md "WebAuthn devices") with a software authenticator producing real attestations and assertions. */
import WebAuthnEmulator, { AuthenticatorEmulator } from 'nid-webauthn-emulator';
import { Patterns, type CreateWebAuthnDeviceReply, type Member, type WebAuthnJson } from '@mfa/contracts';
import { newMember, startHarness, waitFor, type Harness } from './mfa-test-harness';

const ORIGIN = 'http://localhost:3000';
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ WEBAUTHN_RP_ID: 'localhost', WEBAUTHN_ORIGINS: `${ORIGIN},http://app.localhost:3000` });
});
afterAll(() => h?.close());

const failure = async (pattern: string, data: object) => (await h.failure(pattern as never, data)).code;
const create = (m: Member, sessionToken?: string) =>
  h.send(Patterns.MfaDevicesCreate, {
    accountId: m.id,
    type: 'webauthn',
    name: 'laptop',
    sessionToken,
  }) as Promise<CreateWebAuthnDeviceReply>;
const challenge = (m: Member) => h.send(Patterns.MfaChallengesCreate, { accountId: m.id });
const credentialRow = async (serialNumber: string) =>
  (
    await h.db.query(`SELECT c.* FROM mfa.webauthn_credentials c JOIN mfa.devices d ON d.id = c.device_id WHERE d.serial_number = $1`, [
      serialNumber,
    ])
  )[0];

/** A member with one enabled passkey on its own emulator. */
async function enrolled(emu = new WebAuthnEmulator(), m: Member = newMember()) {
  const dev = await create(m);
  const registrationResponse = emu.createJSON(ORIGIN, dev.registrationOptions as never) as unknown as WebAuthnJson;
  const device = await h.send(Patterns.MfaDevicesEnable, { accountId: m.id, serialNumber: dev.serialNumber, registrationResponse });
  return { m, emu, dev, device, registrationResponse };
}

async function assertion(
  m: Member,
  emu: WebAuthnEmulator,
  origin = ORIGIN,
  tamper: (o: Record<string, unknown>) => Record<string, unknown> = (o) => o,
) {
  const { challengeId, authenticationOptions } = await challenge(m);
  return { challengeId, assertion: emu.getJSON(origin, tamper(authenticationOptions) as never) as unknown as WebAuthnJson };
}

describe('webauthn devices', () => {
  it('registers, enables, verifies, issues a session that says webauthn, and lists the passkey', async () => {
    const { m, emu, dev, device, registrationResponse } = await enrolled();
    const options = dev.registrationOptions as {
      rp: { id: string };
      pubKeyCredParams: Array<{ alg: number }>;
      authenticatorSelection: object;
      excludeCredentials: unknown[];
    };
    expect(options.rp.id).toBe('localhost');
    expect(options.pubKeyCredParams.map((p) => p.alg)).toEqual([-8, -7, -257]);
    expect(options.authenticatorSelection).toMatchObject({ residentKey: 'preferred', userVerification: 'preferred' });
    expect(device).toMatchObject({
      serialNumber: dev.serialNumber,
      type: 'webauthn',
      status: 'active',
      aaguid: '4e49442d-4155-5448-2d33-313431353932',
      authenticatorName: 'NID WebAuthn Emulator',
      backedUp: true,
    });
    expect((await credentialRow(dev.serialNumber)).credential_id).toBe(registrationResponse.id);

    const a = await assertion(m, emu);
    expect(await h.send(Patterns.MfaVerify, { accountId: m.id, ...a })).toEqual({
      valid: true,
      serialNumber: dev.serialNumber,
      method: 'webauthn',
      verifiedAt: h.clock.now().toISOString(),
    });
    expect((await credentialRow(dev.serialNumber)).sign_count).toBe('1');

    const { token } = await h.send(Patterns.MfaSessionsIssue, { accountId: m.id, ...(await assertion(m, emu)) });
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
    expect(claims).toMatchObject({ sub: m.id, method: 'webauthn', device: dev.serialNumber });

    const { items } = await h.send(Patterns.MfaDevicesList, { accountId: m.id });
    expect(items).toEqual([
      expect.objectContaining({
        name: 'laptop',
        aaguid: expect.any(String),
        authenticatorName: 'NID WebAuthn Emulator',
        createdAt: expect.any(String),
        lastUsedAt: h.clock.now().toISOString(),
        backedUp: true,
      }),
    ]);

    // a second create excludes the registered credential (step-up with the session just issued)
    const second = await create(m, token);
    expect((second.registrationOptions as { excludeCredentials: Array<{ id: string }> }).excludeCredentials.map((c) => c.id)).toEqual([
      registrationResponse.id,
    ]);
  });

  it('refuses a registration with a wrong challenge, origin or RP id, leaving the device pending and counting a failure', async () => {
    const m = newMember();
    const emu = new WebAuthnEmulator();
    const dev = await create(m);
    const opts = dev.registrationOptions as Record<string, unknown> & { rp: Record<string, unknown> };
    const tries = [
      emu.createJSON(ORIGIN, { ...opts, challenge: Buffer.alloc(32, 7).toString('base64url') } as never),
      emu.createJSON('http://evil.localhost:3000', opts as never),
      emu.createJSON('http://app.localhost:3000', { ...opts, rp: { ...opts.rp, id: 'app.localhost' } } as never),
    ];
    for (const registrationResponse of tries) {
      expect(await failure(Patterns.MfaDevicesEnable, { accountId: m.id, serialNumber: dev.serialNumber, registrationResponse })).toBe(
        'invalid_code',
      );
    }
    expect((await h.send(Patterns.MfaDevicesList, { accountId: m.id })).items).toEqual([expect.objectContaining({ status: 'pending' })]);
    expect((await credentialRow(dev.serialNumber)).credential_id).toBeNull();
    const [{ failures }] = await h.db.query(`SELECT failures FROM mfa.account_failures WHERE account_id = $1`, [m.id]);
    expect(failures).toBe(3);
  });

  it("refuses a wrong challenge, a wrong origin, a replay, an expired challenge, another account's credential; nothing changes", async () => {
    const { m, emu, dev } = await enrolled();
    const other = await enrolled();
    const before = await credentialRow(dev.serialNumber);
    const invalid = { valid: false, reason: 'invalid_code' };

    const wrongChallenge = await assertion(m, emu, ORIGIN, (o) => ({ ...o, challenge: Buffer.alloc(32, 9).toString('base64url') }));
    expect(await h.send(Patterns.MfaVerify, { accountId: m.id, ...wrongChallenge })).toEqual(invalid);
    expect(await h.send(Patterns.MfaVerify, { accountId: m.id, ...(await assertion(m, emu, 'http://evil.localhost:3000')) })).toEqual(
      invalid,
    );

    const good = await assertion(m, emu);
    h.clock.advance(5 * 60_000 + 1);
    expect(await h.send(Patterns.MfaVerify, { accountId: m.id, ...good })).toEqual(invalid); // expired (and now spent)
    expect(await h.send(Patterns.MfaVerify, { accountId: m.id, ...good })).toEqual(invalid);

    // the other member's passkey answering this member's challenge
    const mine = await challenge(m);
    const theirs = other.emu.getJSON(ORIGIN, {
      ...(mine.authenticationOptions as object),
      allowCredentials: [{ id: other.registrationResponse.id, type: 'public-key' }],
    } as never) as unknown as WebAuthnJson;
    expect(theirs.id).toBe(other.registrationResponse.id);
    expect(await h.send(Patterns.MfaVerify, { accountId: m.id, challengeId: mine.challengeId, assertion: theirs })).toEqual(invalid);
    // this member's challenge used for the other account
    const a = await assertion(m, emu);
    expect(await h.send(Patterns.MfaVerify, { accountId: other.m.id, ...a })).toEqual(invalid);
    expect(await credentialRow(dev.serialNumber)).toEqual(before);
  });

  it('accepts an assertion once: a replay is refused on verify and on session issue', async () => {
    const { m, emu, dev } = await enrolled();
    const invalid = { valid: false, reason: 'invalid_code' };
    const once = await assertion(m, emu);
    expect(await h.send(Patterns.MfaVerify, { accountId: m.id, ...once })).toMatchObject({ valid: true });
    const after = await credentialRow(dev.serialNumber);
    expect(await h.send(Patterns.MfaVerify, { accountId: m.id, ...once })).toEqual(invalid);
    expect(await failure(Patterns.MfaSessionsIssue, { accountId: m.id, ...once })).toBe('invalid_code');
    expect(await credentialRow(dev.serialNumber)).toEqual(after);
  });

  it('refuses a counter that goes backwards as a cloned authenticator, audited; an authenticator without a counter works', async () => {
    const { m, emu, dev } = await enrolled();
    await h.db.query(
      `UPDATE mfa.webauthn_credentials c SET sign_count = 50 FROM mfa.devices d WHERE d.id = c.device_id AND d.serial_number = $1`,
      [dev.serialNumber],
    );
    expect(await h.send(Patterns.MfaVerify, { accountId: m.id, ...(await assertion(m, emu)) })).toEqual({
      valid: false,
      reason: 'cloned_authenticator',
    });
    expect((await credentialRow(dev.serialNumber)).sign_count).toBe('50');
    const audit = await waitFor(async () =>
      (await h.queues.audit.getJobs()).find((j) => j.data.action === 'device.clone_detected' && j.data.target.id === dev.serialNumber),
    );
    expect(audit.data.details).toEqual({ storedCounter: 50, presentedCounter: 1 });

    const counterless = new WebAuthnEmulator(new AuthenticatorEmulator({ signCounterIncrement: 0 }));
    const { m: m2, dev: dev2 } = await enrolled(counterless);
    for (let i = 0; i < 2; i++)
      expect(await h.send(Patterns.MfaVerify, { accountId: m2.id, ...(await assertion(m2, counterless)) })).toMatchObject({ valid: true });
    expect((await credentialRow(dev2.serialNumber)).sign_count).toBe('0');
  });

  it('a challenge written into Redis by hand is not believed: a captured assertion of a counterless passkey cannot be replayed', async () => {
    // with the platform's Redis user, the challenge of an assertion seen once (the bus streams carry it) could be stored again
    // under a new id, for as long as one likes; an authenticator without a sign counter then accepted the same assertion forever
    const emu = new WebAuthnEmulator(new AuthenticatorEmulator({ signCounterIncrement: 0 }));
    const { m } = await enrolled(emu);
    const seen = await assertion(m, emu);
    const seenRecord = await h.redis.get(`mfa:webauthn:challenge:${seen.challengeId}`);
    expect(await h.send(Patterns.MfaVerify, { accountId: m.id, ...seen })).toMatchObject({ valid: true });
    const clientData = JSON.parse(
      Buffer.from(String((seen.assertion.response as { clientDataJSON: string }).clientDataJSON), 'base64url').toString(),
    );
    const forgedId = '0c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5';
    // the service's clock is the harness's: a year after the challenge seen
    const record = { accountId: m.id, challenge: clientData.challenge, expiresAt: JSON.parse(seenRecord!).expiresAt + 365 * 86_400_000 };
    await h.redis.set(`mfa:webauthn:challenge:${forgedId}`, JSON.stringify(record), 'PX', 60_000);
    expect(await h.send(Patterns.MfaVerify, { accountId: m.id, challengeId: forgedId, assertion: seen.assertion })).toEqual({
      valid: false,
      reason: 'invalid_code',
    });
    // the value stored for a real challenge, copied under another id, is not believed either
    const real = await challenge(m);
    const stored = await h.redis.get(`mfa:webauthn:challenge:${real.challengeId}`);
    const copied = '1c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5';
    await h.redis.set(`mfa:webauthn:challenge:${copied}`, stored!, 'PX', 60_000);
    const answer = emu.getJSON(ORIGIN, real.authenticationOptions as never) as unknown as WebAuthnJson;
    expect(await h.send(Patterns.MfaVerify, { accountId: m.id, challengeId: copied, assertion: answer })).toMatchObject({ valid: false });
    expect(await h.send(Patterns.MfaVerify, { accountId: m.id, challengeId: real.challengeId, assertion: answer })).toMatchObject({
      valid: true,
    });
  });

  it('locks out after failed assertions as after failed codes', async () => {
    const { m, emu } = await enrolled();
    for (let i = 0; i < h.env.MFA_MAX_FAILURES; i++) {
      expect(
        await h.send(Patterns.MfaVerify, { accountId: m.id, ...(await assertion(m, emu, 'http://evil.localhost:3000')) }),
      ).toMatchObject({ valid: false });
    }
    expect(await h.send(Patterns.MfaVerify, { accountId: m.id, ...(await assertion(m, emu)) })).toEqual({
      valid: false,
      reason: 'locked_out',
    });
  });

  it('answers malformed registration responses and assertions with validation_failed', async () => {
    const { m, emu } = await enrolled();
    const m2 = newMember();
    const pending = await create(m2);
    const good = emu.createJSON(ORIGIN, pending.registrationOptions as never) as unknown as { response: Record<string, unknown> } & Record<
      string,
      unknown
    >;
    const a = await assertion(m, emu);
    const ga = a.assertion as { response: Record<string, unknown> } & Record<string, unknown>;
    const regs: unknown[] = [
      null,
      'x',
      [],
      {},
      { ...good, response: undefined },
      { ...good, response: 'x' },
      { ...good, type: 'private-key' },
      { ...good, id: 'not base64url!' },
      { ...good, response: { ...good.response, clientDataJSON: Buffer.from('{"type":1}').toString('base64url') } },
      { ...good, response: { ...good.response, clientDataJSON: Buffer.from('not json').toString('base64url') } },
      { ...good, response: { ...good.response, attestationObject: Buffer.from('garbage').toString('base64url') } },
      { ...good, response: { ...good.response, attestationObject: undefined } },
      { ...good, response: { ...good.response, transports: ['carrier-pigeon'] } },
      { ...good, clientExtensionResults: 'x' },
      { ...good, extra: 1 },
    ];
    for (const registrationResponse of regs) {
      expect([
        JSON.stringify(registrationResponse)?.slice(0, 60),
        await failure(Patterns.MfaDevicesEnable, { accountId: m2.id, serialNumber: pending.serialNumber, registrationResponse }),
      ]).toEqual([expect.anything(), 'validation_failed']);
    }
    expect(
      await failure(Patterns.MfaDevicesEnable, {
        accountId: m2.id,
        serialNumber: pending.serialNumber,
        registrationResponse: good,
        code1: '123456',
      }),
    ).toBe('validation_failed');
    const asserts: unknown[] = [
      null,
      7,
      {},
      { ...ga, response: { ...ga.response, signature: undefined } },
      { ...ga, response: { ...ga.response, authenticatorData: Buffer.alloc(10).toString('base64url') } },
      { ...ga, response: { ...ga.response, clientDataJSON: '***' } },
      { ...ga, rawId: 12 },
      { ...ga, response: { ...ga.response, userHandle: 5 } },
    ];
    for (const assertion of asserts) {
      expect(await failure(Patterns.MfaVerify, { accountId: m.id, challengeId: a.challengeId, assertion })).toBe('validation_failed');
      expect(await failure(Patterns.MfaSessionsIssue, { accountId: m.id, challengeId: a.challengeId, assertion })).toBe(
        'validation_failed',
      );
    }
    expect(await failure(Patterns.MfaVerify, { accountId: m.id, assertion: ga })).toBe('validation_failed'); // no challengeId
    expect(await failure(Patterns.MfaVerify, { accountId: m.id, challengeId: 'nope', assertion: ga })).toBe('validation_failed');
    expect(await failure(Patterns.MfaVerify, { accountId: m.id, challengeId: a.challengeId })).toBe('validation_failed');
    expect(await failure(Patterns.MfaVerify, { accountId: m.id, code: '123456', ...a })).toBe('validation_failed');
    // the malformed ones spent nothing: the challenge still works
    expect(await h.send(Patterns.MfaVerify, { accountId: m.id, ...a })).toMatchObject({ valid: true });
    expect(await failure(Patterns.MfaChallengesCreate, { accountId: newMember().id })).toBe('conflict');
    expect(await failure(Patterns.MfaChallengesCreate, { accountId: 'x' })).toBe('validation_failed');
  });
});
