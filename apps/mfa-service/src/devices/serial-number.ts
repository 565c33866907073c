import { randomBytes } from 'node:crypto';
import type { MfaMethod } from '@mfa/contracts';

/** Opaque and URL-safe (`[A-Za-z0-9._:-]`): `totp-` + 16 random base64url characters. */
export function newSerialNumber(type: MfaMethod): string {
  return `${type}-${randomBytes(12).toString('base64url')}`;
}
