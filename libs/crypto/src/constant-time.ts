import { timingSafeEqual } from 'node:crypto';

/** Constant-time equality of two secrets, digests or codes; different lengths are simply unequal. */
export function constantTimeEqual(a: Buffer | string, b: Buffer | string): boolean {
  const x = typeof a === 'string' ? Buffer.from(a) : a;
  const y = typeof b === 'string' ? Buffer.from(b) : b;
  return x.length === y.length && timingSafeEqual(x, y);
}
