import { type AuthorizeReason, conditionsFor, type Enforcement, type MfaCondition, strictestCondition } from '@mfa/contracts';

/** What a session token check found: the MFA time (Unix seconds) of a valid token for this account. */
export type TokenCheck = { valid: true; mfaAt: number } | { valid: false };

export interface AuthorizeInput {
  enforcement: Enforcement;
  /** the org policy's maxMfaAgeSeconds */
  policyMaxAge: number | null;
  /** the request's maxMfaAgeSeconds */
  requestMaxAge: number | null;
  /**
   * The per-action conditions in force for this member: the org policy's today; every policy's
   * that applies to the member, united, once group policies exist (any list works: the rule only
   * looks for the ones that match the action).
   */
  conditions: readonly MfaCondition[];
  /** the request's action; null or absent: no condition can apply */
  action?: string | null;
  /** checks the request's token lazily: states that need none never verify it */
  checkToken: () => Promise<TokenCheck>;
  now: Date;
}

export interface AuthorizeDecision {
  allowed: boolean;
  reason: AuthorizeReason;
  /** the condition the action matched (the strictest when several did), null when none did */
  condition: MfaCondition | null;
}

/** The lower of two optional limits; null when neither is set (no limit). */
export function effectiveMaxAge(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}

/** A valid token within `limit` seconds (none: any valid token), or the reason it is not. */
async function tokenWithin(input: AuthorizeInput, limit: number | null): Promise<AuthorizeReason> {
  const token = await input.checkToken();
  if (!token.valid) return 'mfa_required';
  if (limit !== null && input.now.getTime() / 1000 - token.mfaAt > limit) return 'mfa_too_old';
  return 'ok';
}

/**
 * docs/enforcement.md "accounts.authorize", apart from I/O:
 * - non_compliant -> enrollment_required, whatever else (a member without a device cannot step up);
 * - an action matching a condition -> in every other state (exempt and not_required too) a valid
 *   token within min(strictest matching condition, request, policy) max age;
 * - otherwise exempt -> ok; compliant -> a valid token within min(request, policy) max age;
 *   pending and not_required -> ok unless the request gives a max age, which then asks for such a token too.
 */
export async function decideAuthorization(input: AuthorizeInput): Promise<AuthorizeDecision> {
  const { state } = input.enforcement;
  const condition = strictestCondition(conditionsFor(input.conditions, input.action));
  const answer = (reason: AuthorizeReason): AuthorizeDecision => ({ allowed: reason === 'ok', reason, condition });
  if (state === 'non_compliant') return answer('enrollment_required');
  const limit = effectiveMaxAge(input.requestMaxAge, input.policyMaxAge);
  if (condition) return answer(await tokenWithin(input, effectiveMaxAge(condition.maxMfaAgeSeconds, limit)));
  if (state === 'exempt') return answer('ok');
  if (state !== 'compliant' && input.requestMaxAge === null) return answer('ok');
  return answer(await tokenWithin(input, limit));
}
