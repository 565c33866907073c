import { randomBytes } from 'node:crypto';

/** A key id: short, printable, and free of the separators used in key rings and envelopes. */
export const KID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

export interface RingKey {
  kid: string;
  key: Buffer;
}

/** Keys by id; the first one is current (it encrypts / signs), the rest only decrypt / verify. */
export interface KeyRing {
  current: RingKey;
  byKid: ReadonlyMap<string, RingKey>;
}

/**
 * Parses `kid1:base64,kid0:base64` where each key decodes to exactly `bytes` bytes. Throws an
 * Error whose message names the broken entry by position, never its value.
 */
export function parseKeyRing(value: string, bytes = 32): KeyRing {
  const entries = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new Error('empty key ring');
  const byKid = new Map<string, RingKey>();
  entries.forEach((entry, index) => {
    const sep = entry.indexOf(':');
    const kid = sep > 0 ? entry.slice(0, sep) : '';
    if (!KID_PATTERN.test(kid)) throw new Error(`entry ${index}: key id must match ${KID_PATTERN}`);
    const encoded = entry.slice(sep + 1);
    const key = Buffer.from(encoded, 'base64');
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(encoded) || key.length !== bytes) {
      throw new Error(`entry ${index} (${kid}): key must be base64 of ${bytes} bytes`);
    }
    if (byKid.has(kid)) throw new Error(`entry ${index}: duplicate key id ${kid}`);
    byKid.set(kid, { kid, key });
  });
  return { current: byKid.get(entries[0].slice(0, entries[0].indexOf(':')))!, byKid };
}

/** The error message of parseKeyRing, or null when the ring is valid. */
export function keyRingProblem(value: string, bytes = 32): string | null {
  try {
    parseKeyRing(value, bytes);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/** A fresh one-key ring, `dev-<hex>:<base64>`, for development defaults. */
export function generateKeyRing(bytes = 32): string {
  return `dev-${randomBytes(4).toString('hex')}:${randomBytes(bytes).toString('base64')}`;
}
