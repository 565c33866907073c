import { createPrivateKey, createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import { KID_PATTERN } from './key-ring';

export const SESSION_TOKEN_ALG = 'EdDSA';

/** One Ed25519 signing key with its public JWK (what the JWKS lists). */
export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicJwk: { kty: string; crv: string; x: string; kid: string; alg: string; use: string };
}

// PKCS#8 DER header of an Ed25519 private key; the 32-byte seed follows it.
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

function keyFromSeed(kid: string, seed: Buffer): SigningKey {
  const privateKey = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' }) as { kty: string; crv: string; x: string };
  return { kid, privateKey, publicJwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, kid, alg: SESSION_TOKEN_ALG, use: 'sig' } };
}

/**
 * Parses `kid2:base64-seed,kid1:base64-seed` (32-byte Ed25519 seeds). The first key is the
 * newest and signs; every key is listed in the JWKS so tokens signed before a rotation still
 * verify until they expire. Errors name the entry by position, never its value.
 */
export function parseSigningKeys(value: string): SigningKey[] {
  const entries = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new Error('no signing key');
  const seen = new Set<string>();
  return entries.map((entry, index) => {
    const sep = entry.indexOf(':');
    const kid = sep > 0 ? entry.slice(0, sep) : '';
    if (!KID_PATTERN.test(kid)) throw new Error(`entry ${index}: key id must match ${KID_PATTERN}`);
    if (seen.has(kid)) throw new Error(`entry ${index}: duplicate key id ${kid}`);
    seen.add(kid);
    const seed = Buffer.from(entry.slice(sep + 1), 'base64');
    if (seed.length !== 32) throw new Error(`entry ${index} (${kid}): must be base64 of a 32-byte Ed25519 seed`);
    return keyFromSeed(kid, seed);
  });
}

export function signingKeysProblem(value: string): string | null {
  try {
    parseSigningKeys(value);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/** A fresh `sig-<date>-<hex>:<base64 seed>` entry, for development defaults and rotation. */
export function generateSigningKeyEntry(now = new Date()): string {
  const date = now.toISOString().slice(0, 10).replace(/-/g, '');
  return `sig-${date}-${randomBytes(3).toString('hex')}:${randomBytes(32).toString('base64')}`;
}
