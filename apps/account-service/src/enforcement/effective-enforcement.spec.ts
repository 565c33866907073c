import { type AccountEnforcementFacts, defaultOrgPolicy, newMemberFacts, type OrgPolicyState } from './compute-enforcement';
import { effectiveEnforcement, effectiveRequirement, type GroupPolicyState, intersectMethods } from './effective-enforcement';

const H = 3_600_000;
const now = new Date('2030-06-01T12:00:00.000Z');
const at = (h: number) => new Date(now.getTime() + h * H);

const org = (over: Partial<OrgPolicyState> = {}): OrgPolicyState => ({ ...defaultOrgPolicy('o'), version: 3, ...over });
const group = (groupId: string, over: Partial<OrgPolicyState> = {}): GroupPolicyState => ({ ...org(over), version: 1, groupId });
const facts = (over: Partial<AccountEnforcementFacts> = {}): AccountEnforcementFacts => ({ ...newMemberFacts(at(-1000)), ...over });

describe(effectiveEnforcement.name, () => {
  it('required if any policy requires: a group turns MFA on for its members while the org has it off', () => {
    const sut = effectiveEnforcement(org(), [group('g', { requireMfa: true, requiredSince: at(-10), gracePeriodHours: 0 })], facts(), now);
    expect(sut).toMatchObject({ state: 'non_compliant', policyVersion: 3, groups: ['g'], graceDeadline: at(-10).toISOString() });
    expect(effectiveEnforcement(org(), [group('g', { requireMfa: false })], facts(), now).state).toBe('not_required');
  });

  it('the earliest deadline wins, each policy with its own requiredSince and grace', () => {
    const o = org({ requireMfa: true, requiredSince: at(-10), gracePeriodHours: 720 }); // deadline +710 h
    const g1 = group('g1', { requireMfa: true, requiredSince: at(-5), gracePeriodHours: 24 }); // +19 h
    const g2 = group('g2', { requireMfa: true, requiredSince: at(-1), gracePeriodHours: 48 }); // +47 h
    const sut = effectiveEnforcement(o, [g2, g1], facts(), now);
    expect(sut).toMatchObject({
      state: 'pending',
      graceDeadline: at(19).toISOString(),
      requiredSince: at(-10).toISOString(),
      groups: ['g1', 'g2'],
    });
    // a member who joined later: max(requiredSince, createdAt) + grace per policy
    expect(effectiveRequirement(o, [g1], facts({ createdAt: at(0) })).deadline).toEqual(at(24));
    // a policy that does not require gives no deadline, however short its grace
    expect(effectiveRequirement(o, [group('g3', { requireMfa: false, gracePeriodHours: 0 })], facts()).deadline).toEqual(at(710));
  });

  it('allowedMethods intersected; lowest maxMfaAgeSeconds; secureMethodsOnly if any', () => {
    const o = org({ allowedMethods: ['totp', 'sms', 'webauthn'], maxMfaAgeSeconds: 3600 });
    const r = effectiveRequirement(
      o,
      [
        group('a', { allowedMethods: ['totp', 'webauthn'], maxMfaAgeSeconds: null, secureMethodsOnly: true }),
        group('b', { allowedMethods: ['webauthn', 'sms'], maxMfaAgeSeconds: 600 }),
      ],
      facts(),
    );
    expect(r).toMatchObject({ allowedMethods: ['webauthn'], maxMfaAgeSeconds: 600, secureMethodsOnly: true });
    expect(effectiveRequirement(org(), [], facts()).maxMfaAgeSeconds).toBeNull();
  });

  it("a group's secureMethodsOnly stops SMS from counting under the org's requirement", () => {
    const o = org({ requireMfa: true, requiredSince: at(-10) });
    const smsOnly = facts({ activeDeviceCount: 1, secureActiveDeviceCount: 0 });
    expect(effectiveEnforcement(o, [], smsOnly, now).state).toBe('compliant');
    expect(effectiveEnforcement(o, [group('g', { secureMethodsOnly: true })], smsOnly, now).state).toBe('non_compliant');
  });

  it('an exemption in force holds under a group policy too', () => {
    const sut = effectiveEnforcement(
      org(),
      [group('g', { requireMfa: true, requiredSince: at(-10) })],
      facts({ exemptUntil: at(5), exemptReason: 'leave' }),
      now,
    );
    expect(sut).toMatchObject({ state: 'exempt', exemptReason: 'leave' });
  });

  it('intersectMethods is empty when two policies share no method (the PUT is refused on that)', () => {
    expect(intersectMethods(['totp'], ['sms', 'webauthn'])).toEqual([]);
    expect(intersectMethods(['totp', 'sms'], ['sms'])).toEqual(['sms']);
  });
});
