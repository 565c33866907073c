/**
 * Per-action MFA conditions (docs/enforcement.md "Per-action conditions"), modelled on IAM's
 * `aws:MultiFactorAuthAge`: an action that matches one needs an MFA session no older than it says.
 * The shape, its limits and the matching live here because org-service validates them, the bus
 * carries them and account-service (accounts.authorize) and mfa-service (mfa.devices.diagnose) apply them.
 * No imports: libs/client compiles this file in (its validation classes are in dto.ts).
 */
export interface MfaCondition {
  /** exact action names, or prefixes ending in a single `*` (`billing:*`) */
  actions: string[];
  maxMfaAgeSeconds: number;
}

export const MAX_CONDITIONS = 20;
export const MAX_CONDITION_ACTIONS = 20;
export const MIN_CONDITION_AGE_SECONDS = 60;
export const MAX_CONDITION_AGE_SECONDS = 129_600;

/** An action as a member service names it in accounts.authorize: 1..128 of these, no `*`. */
export const ACTION_PATTERN = /^[A-Za-z0-9:_./-]{1,128}$/;
/** An action pattern in a condition: the same, with an optional single `*` at the end (the whole pattern may be `*`). */
export const ACTION_PATTERN_IN_CONDITION = /^(?=.{1,128}$)[A-Za-z0-9:_./-]*\*?$/;

/** Whether `pattern` (from a condition) covers `action`: equal, or `prefix*` and the action starts with the prefix. */
export function actionMatches(pattern: string, action: string): boolean {
  return pattern.endsWith('*') ? action.startsWith(pattern.slice(0, -1)) : pattern === action;
}

/** The conditions (of one policy or united from several) that cover `action`; none without an action. */
export function conditionsFor(conditions: readonly MfaCondition[], action: string | null | undefined): MfaCondition[] {
  if (!action) return [];
  return conditions.filter((c) => c.actions.some((p) => actionMatches(p, action)));
}

/** Of the conditions an action matched, the one asking the freshest MFA (the first of equals); null for none. */
export function strictestCondition(matched: readonly MfaCondition[]): MfaCondition | null {
  return matched.reduce<MfaCondition | null>((best, c) => (best === null || c.maxMfaAgeSeconds < best.maxMfaAgeSeconds ? c : best), null);
}
