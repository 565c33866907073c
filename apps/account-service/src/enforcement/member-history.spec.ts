import type { EnforcementState } from '@mfa/contracts';
import { type AccountEnforcementFacts, defaultOrgPolicy, enforcementState, type OrgPolicyState } from './compute-enforcement';
import { decodeHistoryCursor, encodeHistoryCursor, type HistoryPosition, pageAfter } from './history-cursor';
import { type HistoryStart, replayHistory, type TimelineEntry, toHistoryItems } from './member-history';

const H = 3_600_000;
const t0 = new Date('2026-11-24T09:00:00.000Z'); // a Tuesday
const at = (hours: number) => new Date(t0.getTime() + hours * H);

function policy(version: number, over: Partial<OrgPolicyState> = {}): OrgPolicyState {
  return { ...defaultOrgPolicy('org'), version, requireMfa: true, gracePeriodHours: 24, requiredSince: at(1), updatedAt: at(1), ...over };
}
const NEW: AccountEnforcementFacts = {
  createdAt: t0,
  activeDeviceCount: 0,
  secureActiveDeviceCount: 0,
  graceAnchorAt: null,
  exemptUntil: null,
  exemptReason: null,
};
const created = (p: OrgPolicyState = defaultOrgPolicy('org')): HistoryStart => ({
  at: t0,
  cause: { type: 'account_created' },
  facts: NEW,
  policy: p,
});
const path = (items: Array<{ to: EnforcementState; cause: { type: string } }>) => items.map((i) => `${i.cause.type}>${i.to}`);

describe(replayHistory.name, () => {
  it('answers "why am I blocked since Tuesday?": the deadline passing, then each fact that changed the state', () => {
    const entries: TimelineEntry[] = [
      { at: at(1), cause: { type: 'policy_version', id: '1' }, policy: policy(1) },
      { at: at(30), cause: { type: 'device_enabled', id: 'totp:1' }, facts: { activeDeviceCount: 1, secureActiveDeviceCount: 1 } },
      {
        at: at(40),
        cause: { type: 'device_reset', id: 'totp:1' },
        facts: { activeDeviceCount: 0, secureActiveDeviceCount: 0, graceAnchorAt: at(40) },
      },
      { at: at(50), cause: { type: 'exemption_set' }, facts: { exemptUntil: at(60) } },
    ];
    const items = toHistoryItems(replayHistory(created(), entries, at(100)));
    // newest first
    expect(path(items).reverse()).toEqual([
      'account_created>not_required',
      'policy_version>pending',
      'deadline_passed>non_compliant',
      'device_enabled>compliant',
      'device_reset>pending',
      'exemption_set>exempt',
      'exemption_expired>pending',
      'deadline_passed>non_compliant',
    ]);
    const blocked = items.find((i) => i.cause.type === 'deadline_passed')!;
    // the reset restarted the grace period: blocked again at reset + 24 h, not at the exemption's end
    expect(blocked).toMatchObject({ at: at(64).toISOString(), from: 'pending', to: 'non_compliant', graceDeadline: at(64).toISOString() });
    expect(items.find((i) => i.cause.type === 'exemption_expired')).toMatchObject({ at: at(60).toISOString(), from: 'exempt' });
    expect(items[items.length - 1]).toMatchObject({ from: null, to: 'not_required', graceDeadline: null });
    // the first deadline: requiredSince + 24 h, the instant it passed
    expect(items.filter((i) => i.cause.type === 'deadline_passed').map((i) => i.at)).toEqual([at(64).toISOString(), at(25).toISOString()]);
  });

  it('shows only what happened up to now: a deadline still ahead is not an item', () => {
    const items = replayHistory(created(), [{ at: at(1), cause: { type: 'policy_version', id: '1' }, policy: policy(1) }], at(24.9));
    expect(items.map((i) => i.to)).toEqual(['not_required', 'pending']);
    const later = replayHistory(created(), [{ at: at(1), cause: { type: 'policy_version', id: '1' }, policy: policy(1) }], at(25));
    expect(later.map((i) => i.to)).toEqual(['not_required', 'pending', 'non_compliant']);
  });

  it('keeps quiet for facts and versions that do not change the state', () => {
    const entries: TimelineEntry[] = [
      { at: at(1), cause: { type: 'policy_version', id: '1' }, policy: policy(1) },
      { at: at(2), cause: { type: 'policy_version', id: '2' }, policy: policy(2, { gracePeriodHours: 48 }) },
      { at: at(3), cause: { type: 'exemption_removed' }, facts: { exemptUntil: null } },
      { at: at(4), cause: { type: 'group_joined', id: 'g1' }, facts: {} },
    ];
    expect(path(replayHistory(created(), entries, at(10)))).toEqual(['account_created>not_required', 'policy_version>pending']);
  });

  it('turns non_compliant at once when a version shortens the grace below the time already spent', () => {
    const entries: TimelineEntry[] = [
      { at: at(1), cause: { type: 'policy_version', id: '1' }, policy: policy(1, { gracePeriodHours: 72 }) },
      { at: at(10), cause: { type: 'policy_version', id: '2' }, policy: policy(2, { gracePeriodHours: 0 }) },
      { at: at(20), cause: { type: 'policy_version', id: '3' }, policy: policy(3, { requireMfa: false, requiredSince: null }) },
    ];
    const items = replayHistory(created(), entries, at(200));
    expect(items.map((i) => [i.at.getTime() - t0.getTime(), i.cause.id, i.to])).toEqual([
      [0, undefined, 'not_required'],
      [1 * H, '1', 'pending'],
      [10 * H, '2', 'non_compliant'],
      [20 * H, '3', 'not_required'],
    ]);
  });

  it('names the exemption, not the deadline, when an exemption ends after the deadline', () => {
    const start: HistoryStart = { ...created(policy(1, { requiredSince: t0 })), facts: { ...NEW, exemptUntil: at(48) } };
    const items = replayHistory(start, [], at(100));
    expect(path(items)).toEqual(['account_created>exempt', 'exemption_expired>non_compliant']);
    expect(items[1].at).toEqual(at(48));
  });

  it('counts only secure devices under secureMethodsOnly', () => {
    const entries: TimelineEntry[] = [
      { at: at(1), cause: { type: 'policy_version', id: '1' }, policy: policy(1) },
      { at: at(2), cause: { type: 'device_enabled', id: 'sms:1' }, facts: { activeDeviceCount: 1, secureActiveDeviceCount: 0 } },
      { at: at(3), cause: { type: 'policy_version', id: '2' }, policy: policy(2, { secureMethodsOnly: true }) },
    ];
    expect(path(replayHistory(created(), entries, at(4)))).toEqual([
      'account_created>not_required',
      'policy_version>pending',
      'device_enabled>compliant',
      'policy_version>pending',
    ]);
  });

  it('ignores entries after now and before the start; one at the start instant comes after it', () => {
    const entries: TimelineEntry[] = [
      { at: at(-1), cause: { type: 'device_enabled' }, facts: { activeDeviceCount: 1 } },
      { at: t0, cause: { type: 'policy_version', id: '1' }, policy: policy(1, { requiredSince: t0 }) },
      { at: at(5), cause: { type: 'policy_version', id: '2' }, policy: policy(2, { requireMfa: false }) },
    ];
    expect(path(replayHistory(created(), entries, at(4)))).toEqual(['account_created>not_required', 'policy_version>pending']);
  });

  /** A small seeded generator, so a failure names a case that can be run again. */
  function rng(seed: number): () => number {
    let x = seed >>> 0 || 1;
    return () => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return (x >>> 0) / 4_294_967_296;
    };
  }

  it('ends, on 2,000 generated timelines, in the state the rule gives for the final policy and facts (what GET member answers)', () => {
    for (let seed = 1; seed <= 2000; seed++) {
      const r = rng(seed);
      const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
      let p = r() < 0.3 ? policy(1, { requiredSince: t0, gracePeriodHours: pick([0, 1, 24]) }) : defaultOrgPolicy('org');
      const start: HistoryStart = { at: t0, cause: { type: 'account_created' }, facts: NEW, policy: p };
      let facts = { ...NEW };
      const entries: TimelineEntry[] = [];
      let version = p.version;
      let hour = 0;
      for (let i = 0, n = Math.floor(r() * 12); i < n; i++) {
        hour += pick([0, 0.5, 1, 3, 24, 50]);
        const when = at(hour);
        const kind = pick(['policy', 'device', 'reset', 'exempt', 'unexempt']);
        if (kind === 'policy') {
          const on = r() < 0.7;
          const next = on
            ? policy(++version, {
                requiredSince: p.requireMfa ? p.requiredSince : when,
                gracePeriodHours: pick([0, 1, 2, 24, 72]),
                secureMethodsOnly: r() < 0.3,
                updatedAt: when,
              })
            : policy(++version, { requireMfa: false, requiredSince: null, updatedAt: when });
          p = next;
          entries.push({ at: when, cause: { type: 'policy_version', id: String(version) }, policy: next });
        } else {
          let change: Partial<AccountEnforcementFacts>;
          if (kind === 'device') {
            const active = pick([0, 1, 2]);
            change = { activeDeviceCount: active, secureActiveDeviceCount: Math.min(active, pick([0, 1, 2])) };
          } else if (kind === 'reset') change = { activeDeviceCount: 0, secureActiveDeviceCount: 0, graceAnchorAt: when };
          else if (kind === 'exempt') change = { exemptUntil: at(hour + pick([0.5, 2, 30, 100])) };
          else change = { exemptUntil: null };
          facts = { ...facts, ...change };
          entries.push({ at: when, cause: { type: 'device_enabled' }, facts: change });
        }
      }
      const now = at(hour + pick([0, 0.25, 1, 24, 200]));
      const transitions = replayHistory(start, entries, now);
      const expected = enforcementState(p, facts, now);
      if (transitions[transitions.length - 1].to !== expected)
        throw new Error(`seed ${seed}: replay ends ${transitions.at(-1)!.to}, rule ${expected}`);
      // a chain: each from is the previous to, time never goes back, every item is a change
      for (let i = 1; i < transitions.length; i++) {
        const [a, b] = [transitions[i - 1], transitions[i]];
        if (b.from !== a.to || b.from === b.to || b.at < a.at) throw new Error(`seed ${seed}: item ${i} breaks the chain`);
      }
    }
  });
});

describe('history paging', () => {
  const items = ['2026-01-03', '2026-01-02', '2026-01-02', '2026-01-02', '2026-01-01'].map((d, i) => ({ at: `${d}T00:00:00.000Z`, i }));

  it('walks every item once, also across items of the same instant', () => {
    for (const limit of [1, 2, 3, 5, 10]) {
      const seen: number[] = [];
      let position: HistoryPosition | null = null;
      do {
        const page: { items: typeof items; next: HistoryPosition | null } = pageAfter(items, position, limit);
        seen.push(...page.items.map((x) => x.i));
        position = page.next ? decodeHistoryCursor(encodeHistoryCursor(page.next)) : null;
      } while (position);
      expect(seen).toEqual([0, 1, 2, 3, 4]);
    }
  });

  it('keeps a page stable when newer items arrive meanwhile', () => {
    const first = pageAfter(items, null, 2);
    const grown = [{ at: '2026-01-09T00:00:00.000Z', i: 9 }, ...items];
    expect(pageAfter(grown, first.next, 2).items.map((x) => x.i)).toEqual([2, 3]);
  });

  it('refuses a cursor it did not make, naming the field', () => {
    for (const bad of ['', 'nope', Buffer.from('h1:x:1').toString('base64url'), Buffer.from('m1:1:1').toString('base64url')]) {
      expect(() => decodeHistoryCursor(bad)).toThrow(expect.objectContaining({ code: 'validation_failed' }));
    }
  });
});
