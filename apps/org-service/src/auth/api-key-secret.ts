import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { constantTimeEqual } from '@mfa/crypto';

/**
 * Org API keys read `mfak_<keyId>_<secret>`: the id makes lookup a primary-key read, the
 * secret is 256 random bits. A plain SHA-256 of such a secret is enough (no slow KDF needed:
 * nothing to brute-force), and it is compared in constant time.
 */
const KEY_FORMAT = /^mfak_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export interface NewApiKeySecret {
  id: string;
  key: string;
  hash: Buffer;
}

export function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

export function newApiKeySecret(): NewApiKeySecret {
  const id = randomUUID();
  const secret = randomBytes(32).toString('base64url');
  return { id, key: `mfak_${id}_${secret}`, hash: sha256(secret) };
}

/** The key id and the secret's hash, or null when the string is not shaped like an org key. */
export function parseApiKey(presented: string): { id: string; hash: Buffer } | null {
  const m = KEY_FORMAT.exec(presented);
  return m ? { id: m[1], hash: sha256(m[2]) } : null;
}

export function sameSecret(a: string, b: string): boolean {
  return constantTimeEqual(sha256(a), sha256(b));
}

export function newPlatformKey(): string {
  return `mfap_${randomBytes(32).toString('base64url')}`;
}
