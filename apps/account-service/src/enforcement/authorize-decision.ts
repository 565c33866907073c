import type { AuthorizeReason, Enforcement } from '@mfa/contracts';

/** What a session token check found: the MFA time (Unix seconds) of a valid token for this account. */
export type TokenCheck = { valid: true; mfaAt: number } | { valid: false };

export interface AuthorizeInput {
  enforcement: Enforcement;
  /** the org policy's maxMfaAgeSeconds */
  policyMaxAge: number | null;
  /** the request's maxMfaAgeSeconds */
  requestMaxAge: number | null;
  /** checks the request's token lazily: states that need none never verify it */
  checkToken: () => Promise<TokenCheck>;
  now: Date;
}

export interface AuthorizeDecision {
  allowed: boolean;
  reason: AuthorizeReason;
}

const ok: AuthorizeDecision = { allowed: true, reason: 'ok' };

/** The lower of two optional limits; null when neither is set (no limit). */
export function effectiveMaxAge(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}

/**
 * docs/enforcement.md "accounts.authorize", apart from I/O: non_compliant -> enrollment_required;
 * exempt -> ok; compliant -> a valid token within min(request, policy) max age; pending and
 * not_required -> ok unless the request gives a max age, which then asks for such a token too.
 */
export async function decideAuthorization(input: AuthorizeInput): Promise<AuthorizeDecision> {
  const { state } = input.enforcement;
  if (state === 'non_compliant') return { allowed: false, reason: 'enrollment_required' };
  if (state === 'exempt') return ok;
  if (state !== 'compliant' && input.requestMaxAge === null) return ok;
  const limit = effectiveMaxAge(input.requestMaxAge, input.policyMaxAge);
  const token = await input.checkToken();
  if (!token.valid) return { allowed: false, reason: 'mfa_required' };
  if (limit !== null && input.now.getTime() / 1000 - token.mfaAt > limit) return { allowed: false, reason: 'mfa_too_old' };
  return ok;
}
