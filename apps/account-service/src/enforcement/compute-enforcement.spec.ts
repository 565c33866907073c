import {
  type AccountEnforcementFacts,
  blockedFrom,
  computeEnforcement,
  defaultOrgPolicy,
  enforcementState,
  graceDeadline,
  newMemberFacts,
  type OrgPolicyState,
  proposedPolicy,
} from './compute-enforcement';

const H = 3_600_000;
const t0 = new Date('2026-01-01T00:00:00.000Z');
const at = (hours: number) => new Date(t0.getTime() + hours * H);

function policy(over: Partial<OrgPolicyState> = {}): OrgPolicyState {
  return { ...defaultOrgPolicy('org'), version: 1, requireMfa: true, gracePeriodHours: 72, requiredSince: t0, updatedAt: t0, ...over };
}
function account(over: Partial<AccountEnforcementFacts> = {}): AccountEnforcementFacts {
  return { ...newMemberFacts(at(-1000)), ...over };
}

describe(computeEnforcement.name, () => {
  it('is not_required while the policy is off, whatever the account holds', () => {
    const off = policy({ requireMfa: false, requiredSince: null });
    expect(enforcementState(off, account({ activeDeviceCount: 2, exemptUntil: at(10) }), at(500))).toBe('not_required');
    expect(computeEnforcement(off, account(), at(500))).toMatchObject({ state: 'not_required', requiredSince: null, graceDeadline: null });
    expect(enforcementState(defaultOrgPolicy('org'), account(), at(0))).toBe('not_required');
  });

  it('is compliant with an active device, before an exemption and past the deadline', () => {
    expect(enforcementState(policy(), account({ activeDeviceCount: 1, exemptUntil: at(1000) }), at(500))).toBe('compliant');
  });

  it('under secureMethodsOnly counts only the secure devices: SMS alone is not compliant', () => {
    const secure = policy({ secureMethodsOnly: true });
    expect(enforcementState(secure, account({ activeDeviceCount: 1, secureActiveDeviceCount: 0 }), at(500))).toBe('non_compliant');
    expect(enforcementState(secure, account({ activeDeviceCount: 1, secureActiveDeviceCount: 0 }), at(10))).toBe('pending');
    expect(enforcementState(secure, account({ activeDeviceCount: 2, secureActiveDeviceCount: 1 }), at(500))).toBe('compliant');
    expect(enforcementState(policy(), account({ activeDeviceCount: 1, secureActiveDeviceCount: 0 }), at(500))).toBe('compliant');
  });

  it('is exempt while the exemption is in force, then falls back to the deadline', () => {
    const a = account({ exemptUntil: at(200), exemptReason: 'travel' });
    expect(computeEnforcement(policy(), a, at(100))).toMatchObject({
      state: 'exempt',
      exemptUntil: at(200).toISOString(),
      exemptReason: 'travel',
    });
    expect(computeEnforcement(policy(), a, at(200))).toMatchObject({ state: 'non_compliant', exemptUntil: null });
    expect(enforcementState(policy(), a, at(10))).toBe('exempt');
  });

  it('is pending before the deadline and non_compliant from the deadline on', () => {
    expect(enforcementState(policy(), account(), at(71.99))).toBe('pending');
    expect(enforcementState(policy(), account(), at(72))).toBe('non_compliant');
    expect(computeEnforcement(policy(), account(), at(1))).toMatchObject({
      state: 'pending',
      policyVersion: 1,
      requiredSince: t0.toISOString(),
      graceDeadline: at(72).toISOString(),
    });
  });

  it('is non_compliant at once with a grace period of 0', () => {
    expect(enforcementState(policy({ gracePeriodHours: 0 }), account(), t0)).toBe('non_compliant');
  });

  it('moves every deadline with the grace period of a new version, earlier or later', () => {
    const a = account();
    expect(graceDeadline(policy({ gracePeriodHours: 24 }), a)).toEqual(at(24));
    expect(enforcementState(policy({ version: 2, gracePeriodHours: 24 }), a, at(30))).toBe('non_compliant');
    expect(enforcementState(policy({ version: 3, gracePeriodHours: 100 }), a, at(30))).toBe('pending');
  });

  it('counts from the member creation when the member joined after MFA became required', () => {
    const late = account({ createdAt: at(50) });
    expect(graceDeadline(policy(), late)).toEqual(at(122));
    expect(enforcementState(policy(), late, at(100))).toBe('pending');
  });

  it('restarts the grace period from an admin reset of the last device', () => {
    const reset = account({ graceAnchorAt: at(300) });
    expect(graceDeadline(policy(), reset)).toEqual(at(372));
    expect(enforcementState(policy(), reset, at(301))).toBe('pending');
    expect(enforcementState(policy({ gracePeriodHours: 0 }), reset, at(300))).toBe('non_compliant');
  });
});

describe(blockedFrom.name, () => {
  const now = at(10);
  const cases: Array<[string, OrgPolicyState, AccountEnforcementFacts]> = [];
  for (const p of [policy(), policy({ gracePeriodHours: 0 }), policy({ secureMethodsOnly: true }), policy({ requireMfa: false })])
    for (const exemptUntil of [null, at(5), at(20), at(200)])
      for (const createdAt of [at(-1000), at(9)])
        for (const [activeDeviceCount, secureActiveDeviceCount] of [
          [0, 0],
          [1, 0],
          [1, 1],
        ])
          cases.push([
            `${JSON.stringify({ exemptUntil, createdAt, activeDeviceCount })}`,
            p,
            account({ exemptUntil, createdAt, activeDeviceCount, secureActiveDeviceCount }),
          ]);

  it.each(cases)('is the first instant the rule says non_compliant, if nothing changes: %s', (_name, p, a) => {
    const b = blockedFrom(p, a, now);
    const states = [now, at(11), at(100), at(1000)].map((t) => enforcementState(p, a, t));
    if (b === null) {
      expect(states).not.toContain('non_compliant');
      return;
    }
    expect(b.getTime()).toBeGreaterThanOrEqual(now.getTime());
    expect(enforcementState(p, a, b)).toBe('non_compliant');
    expect(enforcementState(p, a, new Date(b.getTime() + 1000 * H))).toBe('non_compliant');
    if (b.getTime() > now.getTime()) expect(enforcementState(p, a, new Date(b.getTime() - 1))).not.toBe('non_compliant');
  });
});

describe(proposedPolicy.name, () => {
  const now = at(50);
  it('keeps requiredSince while MFA stays required, starts it now when it turns on, drops it when off', () => {
    expect(proposedPolicy(policy(), { requireMfa: true, gracePeriodHours: 1 }, now)).toMatchObject({
      requireMfa: true,
      gracePeriodHours: 1,
      requiredSince: t0,
      version: 2,
      secureMethodsOnly: false,
    });
    const off = policy({ requireMfa: false, requiredSince: null });
    expect(proposedPolicy(off, { requireMfa: true, gracePeriodHours: 1, secureMethodsOnly: true }, now)).toMatchObject({
      requiredSince: now,
      secureMethodsOnly: true,
    });
    expect(proposedPolicy(policy(), { requireMfa: false, gracePeriodHours: 1 }, now).requiredSince).toBeNull();
    expect(proposedPolicy(defaultOrgPolicy('org'), { requireMfa: true, gracePeriodHours: 0 }, now)).toMatchObject({
      version: 1,
      requiredSince: now,
    });
  });
});
