import { compliantPercent } from './compliance-report.service';

describe(compliantPercent.name, () => {
  const states = (s: Partial<Record<'not_required' | 'pending' | 'compliant' | 'non_compliant' | 'exempt', number>>) => ({
    not_required: 0,
    pending: 0,
    compliant: 0,
    non_compliant: 0,
    exempt: 0,
    ...s,
  });

  it('leaves not_required and exempt members out of the divisor', () => {
    expect(compliantPercent(10, states({ not_required: 2, exempt: 1, compliant: 2, pending: 5 }))).toBe(28.57);
  });

  it('rounds to 2 decimals', () => {
    expect(compliantPercent(3, states({ compliant: 2, pending: 1 }))).toBe(66.67);
    expect(compliantPercent(3, states({ compliant: 1, pending: 2 }))).toBe(33.33);
  });

  it('is 0 when nobody is in scope', () => {
    expect(compliantPercent(0, states({}))).toBe(0);
    expect(compliantPercent(3, states({ not_required: 2, exempt: 1 }))).toBe(0);
  });
});
