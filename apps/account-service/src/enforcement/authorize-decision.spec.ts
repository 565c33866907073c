import { type Enforcement, type EnforcementState, EnforcementStates, type MfaCondition, strictestCondition } from '@mfa/contracts';
import { decideAuthorization, effectiveMaxAge, type TokenCheck } from './authorize-decision';

const now = new Date('2026-01-01T12:00:00.000Z');
const nowSec = now.getTime() / 1000;
const enf = (state: EnforcementState): Enforcement => ({
  state,
  policyVersion: 1,
  requiredSince: null,
  graceDeadline: null,
  exemptUntil: null,
});
const token = (ageSeconds: number): TokenCheck => ({ valid: true, mfaAt: nowSec - ageSeconds });

async function decide(
  state: EnforcementState,
  check: TokenCheck,
  requestMaxAge: number | null = null,
  policyMaxAge: number | null = null,
  onAction?: { action: string | null; conditions: MfaCondition[] },
) {
  let checked = false;
  const d = await decideAuthorization({
    enforcement: enf(state),
    requestMaxAge,
    policyMaxAge,
    conditions: onAction?.conditions ?? [],
    action: onAction?.action,
    now,
    checkToken: async () => ((checked = true), check),
  });
  return { ...d, checked };
}

const billing: MfaCondition = { actions: ['billing:*', 'repo:delete'], maxMfaAgeSeconds: 300 };
const refunds: MfaCondition = { actions: ['billing:refund'], maxMfaAgeSeconds: 120 };
const conditions = [billing, refunds];

describe(decideAuthorization.name, () => {
  it('denies non_compliant with enrollment_required, whatever the token', async () => {
    expect(await decide('non_compliant', token(1))).toEqual({
      allowed: false,
      reason: 'enrollment_required',
      condition: null,
      checked: false,
    });
  });

  it('allows exempt without a token, even with a max age', async () => {
    expect(await decide('exempt', { valid: false }, 60)).toEqual({ allowed: true, reason: 'ok', condition: null, checked: false });
  });

  it('asks compliant for a valid token, with no age limit when none is set', async () => {
    expect(await decide('compliant', { valid: false })).toMatchObject({ allowed: false, reason: 'mfa_required' });
    expect(await decide('compliant', token(100_000))).toMatchObject({ allowed: true, reason: 'ok' });
  });

  it('applies the lower of the request and policy max age to compliant', async () => {
    expect(await decide('compliant', token(300), 600, 200)).toMatchObject({ allowed: false, reason: 'mfa_too_old' });
    expect(await decide('compliant', token(300), 200, 600)).toMatchObject({ allowed: false, reason: 'mfa_too_old' });
    expect(await decide('compliant', token(150), 200, 600)).toMatchObject({ allowed: true, reason: 'ok' });
    expect(await decide('compliant', token(200), null, 200)).toMatchObject({ allowed: true, reason: 'ok' });
    expect(await decide('compliant', token(201), null, 200)).toMatchObject({ allowed: false, reason: 'mfa_too_old' });
  });

  it.each(['pending', 'not_required'] as const)('allows %s without a token unless the request gives a max age', async (state) => {
    expect(await decide(state, { valid: false }, null, 60)).toEqual({ allowed: true, reason: 'ok', condition: null, checked: false });
    expect(await decide(state, { valid: false }, 300)).toMatchObject({ allowed: false, reason: 'mfa_required' });
    expect(await decide(state, token(400), 300)).toMatchObject({ allowed: false, reason: 'mfa_too_old' });
    expect(await decide(state, token(100), 300)).toMatchObject({ allowed: true, reason: 'ok' });
  });

  it('takes the lower of two limits, or the one set', () => {
    expect(effectiveMaxAge(null, null)).toBeNull();
    expect(effectiveMaxAge(5, null)).toBe(5);
    expect(effectiveMaxAge(null, 7)).toBe(7);
    expect(effectiveMaxAge(9, 7)).toBe(7);
  });

  describe('per-action conditions', () => {
    const on = (action: string | null, list: MfaCondition[] = conditions) => ({ action, conditions: list });
    const active = EnforcementStates.filter((st) => st !== 'non_compliant');

    it.each(active)('asks %s for a token within the condition on a matching action, and names it', async (state) => {
      expect(await decide(state, { valid: false }, null, null, on('billing:invoice'))).toEqual({
        allowed: false,
        reason: 'mfa_required',
        condition: billing,
        checked: true,
      });
      expect(await decide(state, token(301), null, null, on('billing:invoice'))).toMatchObject({ allowed: false, reason: 'mfa_too_old' });
      expect(await decide(state, token(300), null, null, on('billing:invoice'))).toEqual({
        allowed: true,
        reason: 'ok',
        condition: billing,
        checked: true,
      });
      expect(await decide(state, token(10), null, null, on('repo:delete'))).toMatchObject({ allowed: true, condition: billing });
    });

    it('keeps non_compliant at enrollment_required, still naming the condition, without reading the token', async () => {
      expect(await decide('non_compliant', token(1), null, null, on('billing:refund'))).toEqual({
        allowed: false,
        reason: 'enrollment_required',
        condition: refunds,
        checked: false,
      });
    });

    it('takes the strictest matching condition, then the lowest of it, the request and the policy', async () => {
      // billing:refund matches both: 120 s applies
      expect(await decide('not_required', token(200), null, null, on('billing:refund'))).toMatchObject({
        allowed: false,
        reason: 'mfa_too_old',
        condition: refunds,
      });
      expect(await decide('not_required', token(100), null, null, on('billing:refund'))).toMatchObject({
        allowed: true,
        condition: refunds,
      });
      // a lower request or policy age wins over the condition's
      expect(await decide('exempt', token(100), 60, null, on('billing:refund'))).toMatchObject({ allowed: false, reason: 'mfa_too_old' });
      expect(await decide('compliant', token(100), null, 90, on('billing:refund'))).toMatchObject({
        allowed: false,
        reason: 'mfa_too_old',
      });
      // a higher one does not loosen it
      expect(await decide('compliant', token(200), 3600, 7200, on('billing:refund'))).toMatchObject({
        allowed: false,
        reason: 'mfa_too_old',
      });
    });

    it('falls back to the rule without conditions when nothing matches or there is no action', async () => {
      for (const action of ['repo:deletex', 'billing', 'Billing:refund', null]) {
        expect(await decide('exempt', { valid: false }, null, null, on(action))).toEqual({
          allowed: true,
          reason: 'ok',
          condition: null,
          checked: false,
        });
        expect(await decide('compliant', { valid: false }, null, null, on(action))).toMatchObject({
          reason: 'mfa_required',
          condition: null,
        });
      }
      expect(await decide('pending', { valid: false }, null, null, on('billing:refund', []))).toMatchObject({
        allowed: true,
        condition: null,
      });
    });

    it('takes a list united from several policies (duplicates and all)', async () => {
      const fromGroup: MfaCondition = { actions: ['*'], maxMfaAgeSeconds: 3600 };
      const united = [fromGroup, billing, billing, refunds];
      expect(await decide('not_required', token(1000), null, null, on('anything', united))).toMatchObject({
        allowed: true,
        condition: fromGroup,
      });
      expect(await decide('not_required', token(200), null, null, on('billing:refund', united))).toMatchObject({
        allowed: false,
        condition: refunds,
      });
    });

    it('picks the lowest age, the first of equals, none of none', () => {
      const a = { actions: ['a'], maxMfaAgeSeconds: 60 };
      const b = { actions: ['b'], maxMfaAgeSeconds: 60 };
      expect(strictestCondition([billing, a, b])).toBe(a);
      expect(strictestCondition([])).toBeNull();
    });
  });
});
