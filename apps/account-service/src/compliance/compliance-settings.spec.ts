import { parseOffsets } from './compliance-settings';

describe(parseOffsets.name, () => {
  it('reads whole hours, most distant first, without duplicates', () => {
    expect(parseOffsets('24,168')).toEqual([168, 24]);
    expect(parseOffsets(' 72 , 24,72 ')).toEqual([72, 24]);
  });

  it('ignores zero and junk (the env class rejects junk at boot anyway)', () => {
    expect(parseOffsets('0,12')).toEqual([12]);
  });
});
