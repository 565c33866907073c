import { groupKey, stateBars, trendLine } from './charts';

describe('charts', () => {
  it('scales bars to the largest state and keeps every state in order', () => {
    const bars = stateBars({ pending: 50, compliant: 100 }, 200);
    expect(bars.map((b) => b.state)).toEqual(['not_required', 'pending', 'compliant', 'non_compliant', 'exempt']);
    expect(bars.find((b) => b.state === 'compliant')!.width).toBe(200);
    expect(bars.find((b) => b.state === 'pending')!.width).toBe(100);
    expect(bars.find((b) => b.state === 'exempt')!.width).toBe(0);
    expect(stateBars({}).every((b) => b.width === 0)).toBe(true);
  });

  it('draws the trend oldest left, 100 % at the top', () => {
    const t = trendLine(
      [
        { date: '2026-11-01', total: 2, byState: {} as never, compliantPercent: 0 },
        { date: '2026-11-02', total: 2, byState: {} as never, compliantPercent: 100 },
      ],
      100,
      100,
      10,
    );
    expect(t.points).toBe('10,90 90,10');
    expect(trendLine([]).points).toBe('');
  });

  it('groups a key by four', () => {
    expect(groupKey('ABCDEFGHIJ')).toBe('ABCD EFGH IJ');
  });
});
