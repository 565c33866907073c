import { groupKey, rolloutText, stateBars, trendLine } from './charts';

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

  it('says a rollout is counting its members while its total is 0, not 100 %', () => {
    expect(rolloutText({ status: 'running', total: 0, applied: 0 })).toBe('running: counting members');
    expect(rolloutText({ status: 'queued', total: 0, applied: 0 })).toBe('queued: counting members');
    expect(rolloutText({ status: 'completed', total: 0, applied: 0 })).toBe('completed: 0 of 0 (100%)');
    expect(rolloutText({ status: 'running', total: 12, applied: 5 })).toBe('running: 5 of 12 (41%)');
    expect(rolloutText({ status: 'completed', total: 12, applied: 12 })).toBe('completed: 12 of 12 (100%)');
  });
});
