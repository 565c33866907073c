import { createHmac } from 'node:crypto';
import { constantTimeEqual } from '@mfa/crypto';

/** TOTP parameters of every device (docs/mfa.md, "TOTP parameters"). */
export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
export const TOTP_ALGORITHM = 'sha1';
export const TOTP_SEED_BYTES = 20;
/** Verification looks this many steps back and forward around the device's drift. */
export const VERIFY_WINDOW_STEPS = 1;
/** Resync searches this far and bounds the learned drift to it. */
export const MAX_DRIFT_STEPS = 10;

export type HotpAlgorithm = 'sha1' | 'sha256' | 'sha512';

/** RFC 4226 HOTP: HMAC over the 8-byte big-endian counter, dynamic truncation, mod 10^digits. */
export function hotp(key: Buffer, counter: number, digits = TOTP_DIGITS, algorithm: HotpAlgorithm = TOTP_ALGORITHM): string {
  const message = Buffer.alloc(8);
  // two 32-bit halves: exact for any counter up to 2^53 without BigInt
  message.writeUInt32BE(Math.floor(counter / 0x1_0000_0000), 0);
  message.writeUInt32BE(counter >>> 0, 4);
  const mac = createHmac(algorithm, key).update(message).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const binary = ((mac[offset] & 0x7f) << 24) | (mac[offset + 1] << 16) | (mac[offset + 2] << 8) | mac[offset + 3];
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/** RFC 6238 time step T = floor((unix seconds - T0) / X), T0 = 0. */
export function timeStep(at: Date | number, period = TOTP_PERIOD_SECONDS): number {
  const ms = typeof at === 'number' ? at : at.getTime();
  return Math.floor(ms / 1000 / period);
}

export function totp(
  key: Buffer,
  at: Date | number,
  digits = TOTP_DIGITS,
  algorithm: HotpAlgorithm = TOTP_ALGORITHM,
  period = TOTP_PERIOD_SECONDS,
): string {
  return hotp(key, timeStep(at, period), digits, algorithm);
}

/**
 * A step in [from, to] whose code is `code`, or null. `first`, when inside the range, is tried
 * before the others: verification passes the expected step, so a right code costs one HMAC.
 */
export function findStep(key: Buffer, code: string, from: number, to: number, first?: number): number | null {
  const preferred = first !== undefined && first >= from && first <= to;
  if (preferred && constantTimeEqual(hotp(key, first), code)) return first;
  for (let step = from; step <= to; step++) {
    if (preferred && step === first) continue;
    if (constantTimeEqual(hotp(key, step), code)) return step;
  }
  return null;
}

/** The latest step in [from, to] whose code is `code`, or null (every step is tried). */
export function findLastStep(key: Buffer, code: string, from: number, to: number): number | null {
  let found: number | null = null;
  for (let step = from; step <= to; step++) if (constantTimeEqual(hotp(key, step), code)) found = step;
  return found;
}

/**
 * The step t in [from, to] with code(t-1) = code1 and code(t) = code2 (two consecutive codes,
 * AWS EnableMFADevice / ResyncMFADevice), or null.
 */
export function findConsecutive(key: Buffer, code1: string, code2: string, from: number, to: number): number | null {
  for (let step = from; step <= to; step++) {
    if (constantTimeEqual(hotp(key, step), code2) && constantTimeEqual(hotp(key, step - 1), code1)) return step;
  }
  return null;
}

export function looksLikeOtp(code: string): boolean {
  return /^\d{6}$/.test(code);
}
