/**
 * P5w: CPU cost of checking one WebAuthn assertion in process, beside a TOTP code (P5).
 *
 * The check is the mfa-service's own `WebAuthnMethod.match` (client data, RP id hash, flags and
 * the ES256 signature through @simplewebauthn/server) on an assertion made by the software
 * authenticator the tests use. Its two I/O dependencies (the credential row, the one-use
 * challenge) answer from memory here, so the figure is the CPU part only; in service the match
 * adds one Postgres read and one Redis GETDEL. The baseline is `TotpMethod.match` of a right code.
 */
import { randomUUID } from 'node:crypto';
import { generateAuthenticationOptions, generateRegistrationOptions, verifyRegistrationResponse } from '@simplewebauthn/server';
import WebAuthnEmulator from 'nid-webauthn-emulator';
import { loadConfig } from '@mfa/config';
import { MfaServiceEnv } from '../apps/mfa-service/src/config/mfa-service.env';
import type { ActiveDevice } from '../apps/mfa-service/src/methods/device-method';
import { assertionProof } from '../apps/mfa-service/src/methods/webauthn/webauthn-proof';
import { WebAuthnMethod } from '../apps/mfa-service/src/methods/webauthn/webauthn.method';
import { checkCost } from './check-cost.bench';
import { fmt, median, type BenchRow } from './lib/stats';

const ORIGIN = 'http://localhost:3000';

export async function webauthnCost(n: number, rounds = 5): Promise<BenchRow[]> {
  const env = loadConfig(MfaServiceEnv, { WEBAUTHN_RP_ID: 'localhost', WEBAUTHN_ORIGINS: ORIGIN });
  const emu = new WebAuthnEmulator();
  const reg = await generateRegistrationOptions({
    rpName: 'bench',
    rpID: 'localhost',
    userName: 'bench',
    supportedAlgorithmIDs: [-7],
    attestationType: 'none',
  });
  const registered = await verifyRegistrationResponse({
    response: emu.createJSON(ORIGIN, reg),
    expectedChallenge: reg.challenge,
    expectedOrigin: ORIGIN,
    expectedRPID: 'localhost',
  });
  if (!registered.verified) throw new Error('P5w: the emulator registration does not verify');
  const cred = registered.registrationInfo.credential;
  const auth = await generateAuthenticationOptions({ rpID: 'localhost', allowCredentials: [{ id: cred.id }] });
  const assertion = emu.getJSON(ORIGIN, auth);
  const row = {
    device_id: randomUUID(),
    account_id: randomUUID(),
    credential_id: cred.id,
    public_key: Buffer.from(cred.publicKey),
    sign_count: '0',
    transports: [],
  };
  const issued = { accountId: row.account_id, challenge: auth.challenge, expiresAt: Date.now() + 60_000 };
  const credentials = { byCredentialId: async () => row };
  const challenges = { take: async () => issued };
  const method = new WebAuthnMethod(credentials as never, challenges as never, null as never, null as never, null as never, env);
  const device = { id: row.device_id } as ActiveDevice;
  const proof = assertionProof(randomUUID(), assertion);
  const now = new Date();
  if ((await method.match(device, proof, now)) === null) throw new Error('P5w: WebAuthnMethod.match does not accept the assertion');

  const rate = async (count: number) => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < count; i++) await method.match(device, proof, now);
    return count / (Number(process.hrtime.bigint() - t0) / 1e9);
  };
  await rate(Math.min(n, 200));
  const rates: number[] = [];
  for (let r = 0; r < rounds; r++) rates.push(await rate(n));
  const assertionRate = median(rates);
  const totpRate = checkCost(Math.max(n * 10, 10_000), 3).checkRate;
  return [
    {
      id: 'P5w',
      what: `CPU cost of checking one WebAuthn assertion (WebAuthnMethod.match, ES256; n=${n}, median of ${rounds}), I/O answered from memory`,
      figure: `${fmt(assertionRate, 0)} checks/s (${fmt(1e6 / assertionRate, 0)} µs)`,
      baseline: `a right TOTP code ${fmt(totpRate / 1000, 0)}k/s (${fmt(1e6 / totpRate, 2)} µs)`,
      ratio: `${fmt(assertionRate / totpRate, 3)}x`,
      goal: 'reported',
      met: null,
    },
  ];
}
