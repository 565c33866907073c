import type { Enforcement, EnforcementState } from '@mfa/contracts';
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

async function decide(state: EnforcementState, check: TokenCheck, requestMaxAge: number | null = null, policyMaxAge: number | null = null) {
  let checked = false;
  const d = await decideAuthorization({
    enforcement: enf(state),
    requestMaxAge,
    policyMaxAge,
    now,
    checkToken: async () => ((checked = true), check),
  });
  return { ...d, checked };
}

describe(decideAuthorization.name, () => {
  it('denies non_compliant with enrollment_required, whatever the token', async () => {
    expect(await decide('non_compliant', token(1))).toEqual({ allowed: false, reason: 'enrollment_required', checked: false });
  });

  it('allows exempt without a token, even with a max age', async () => {
    expect(await decide('exempt', { valid: false }, 60)).toEqual({ allowed: true, reason: 'ok', checked: false });
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
    expect(await decide(state, { valid: false }, null, 60)).toEqual({ allowed: true, reason: 'ok', checked: false });
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
});
