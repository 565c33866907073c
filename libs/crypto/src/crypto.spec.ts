import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { Envelope } from './envelope';
import { generateKeyRing, keyRingProblem, parseKeyRing } from './key-ring';
import { SESSION_TOKEN_AUDIENCE, SESSION_TOKEN_ISSUER, verifySessionToken } from './session-token';
import { generateSigningKeyEntry, parseSigningKeys } from './signing-keys';

const ring = (...entries: string[]) => entries.join(',');
const key = () => randomBytes(32).toString('base64');

describe('key ring', () => {
  it('takes the first key as current and keeps the others', () => {
    const r = parseKeyRing(ring(`k2:${key()}`, `k1:${key()}`));
    expect(r.current.kid).toBe('k2');
    expect([...r.byKid.keys()]).toEqual(['k2', 'k1']);
  });

  it('names the bad entry and never echoes a key', () => {
    const secret = randomBytes(16).toString('base64');
    const problem = keyRingProblem(ring(`k2:${key()}`, `k1:${secret}`));
    expect(problem).toContain('entry 1 (k1)');
    expect(problem).not.toContain(secret);
    expect(keyRingProblem('nocolon')).toContain('entry 0');
    expect(keyRingProblem(ring(`a:${key()}`, `a:${key()}`))).toContain('duplicate');
    expect(keyRingProblem(generateKeyRing())).toBeNull();
  });
});

describe(Envelope.name, () => {
  it('decrypts with an old key after a rotation, and binds the ciphertext to its aad', () => {
    const old = `k1:${key()}`;
    const sealed = new Envelope(parseKeyRing(old)).encrypt(Buffer.from('seed'), 'row-1');
    const rotated = new Envelope(parseKeyRing(ring(`k2:${key()}`, old)));
    expect(rotated.decrypt(sealed, 'row-1').toString()).toBe('seed');
    expect(Envelope.kidOf(sealed)).toBe('k1');
    expect(Envelope.kidOf(rotated.encrypt(Buffer.from('x'), 'a'))).toBe('k2');
    expect(() => rotated.decrypt(sealed, 'row-2')).toThrow(/does not authenticate/);
    expect(() => new Envelope(parseKeyRing(`k3:${key()}`)).decrypt(sealed, 'row-1')).toThrow(/no key with id k1/);
  });

  it('never produces the same ciphertext twice', () => {
    const e = new Envelope(parseKeyRing(`k:${key()}`));
    expect(e.encrypt(Buffer.from('s'), 'a')).not.toBe(e.encrypt(Buffer.from('s'), 'a'));
  });
});

describe(verifySessionToken.name, () => {
  const keys = parseSigningKeys(ring(generateSigningKeyEntry(), generateSigningKeyEntry()));
  const jwks = { keys: keys.map((k) => ({ ...k.publicJwk })) };
  const sign = (k = keys[0], claims: Record<string, unknown> = {}, exp = Math.floor(Date.now() / 1000) + 60) =>
    new SignJWT({ org: 'o', device: 'd', method: 'totp', mfa_at: Math.floor(Date.now() / 1000), ...claims })
      .setProtectedHeader({ alg: 'EdDSA', kid: k.kid })
      .setSubject('acc')
      .setIssuer(SESSION_TOKEN_ISSUER)
      .setAudience(SESSION_TOKEN_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(k.privateKey);

  it('accepts tokens of every listed key, and checks account and expiry', async () => {
    expect(await verifySessionToken(await sign(keys[1]), jwks, { accountId: 'acc' })).toMatchObject({
      ok: true,
      claims: { sub: 'acc', org: 'o' },
    });
    expect(await verifySessionToken(await sign(), jwks, { accountId: 'other' })).toEqual({ ok: false, reason: 'wrong_account' });
    expect(await verifySessionToken(await sign(keys[0], {}, Math.floor(Date.now() / 1000) - 10), jwks)).toEqual({
      ok: false,
      reason: 'expired',
    });
  });

  it('refuses a token of a key not in the JWKS and garbage', async () => {
    const [stranger] = parseSigningKeys(generateSigningKeyEntry());
    expect(await verifySessionToken(await sign(stranger), jwks)).toEqual({ ok: false, reason: 'invalid' });
    expect(await verifySessionToken('not.a.token', jwks)).toEqual({ ok: false, reason: 'invalid' });
  });
});
