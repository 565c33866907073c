import { randomInt, scrypt } from 'node:crypto';
import { promisify } from 'node:util';

// Crockford Base32, lower case: no i, l, o, u, so a code read aloud or copied by hand survives.
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const LENGTH = 12; // 60 bits
const GROUP = 4;
export const RECOVERY_CODE_BITS = LENGTH * 5;

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number, options: object) => Promise<Buffer>;
/** scrypt N=2^14, r=8, p=1: ~50 ms per hash here, a slow hash even for a stolen table. */
const SCRYPT = { N: 1 << 14, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

/** `xxxx-xxxx-xxxx` from a 32-letter alphabet: 60 random bits. */
export function newRecoveryCode(): string {
  let raw = '';
  for (let i = 0; i < LENGTH; i++) raw += ALPHABET[randomInt(32)];
  return raw.match(new RegExp(`.{${GROUP}}`, 'g'))!.join('-');
}

/** Canonical form of what a person typed (case, dashes, spaces, and o/i/l read as 0/1/1), or null. */
export function normalizeRecoveryCode(input: string): string | null {
  const s = input.toLowerCase().replace(/[\s-]/g, '').replace(/o/g, '0').replace(/[il]/g, '1');
  return s.length === LENGTH && [...s].every((c) => ALPHABET.includes(c)) ? s : null;
}

export function hashRecoveryCode(normalized: string, salt: Buffer): Promise<Buffer> {
  return scryptAsync(normalized, salt, 32, SCRYPT);
}
