import { randomUUID } from 'node:crypto';
import type { MfaPolicy } from '@mfa/contracts';

/**
 * The answer to a bus request with a field its pattern does not take (docs/bus-protocol.md,
 * "Validation"): `validation_failed` naming the field by its path (`token`, `policy.requireMFA`,
 * `members.0.mail`).
 */
export function unknownFieldError(path: string): { code: 'validation_failed'; message: string } {
  const field = path.slice(path.lastIndexOf('.') + 1);
  return { code: 'validation_failed', message: `${path}: property ${field} should not exist` };
}

/** A valid policy as org-service hands it over (`*.internal.policy.apply`), to add one stray field to. */
export function wirePolicy(orgId: string = randomUUID()): MfaPolicy {
  return { orgId, version: 1, requireMfa: true, gracePeriodHours: 0, allowedMethods: ['totp'], maxMfaAgeSeconds: null, updatedAt: null };
}
