import { type AccountEnforcementFacts, defaultOrgPolicy, type OrgPolicyState } from './compute-enforcement';
import { effectiveState, effectiveRequirement, type GroupPolicyState } from './effective-enforcement';
import { type HistoryStart, replayHistory, type TimelineEntry, toHistoryItems } from './member-history';
import type { MemberEventRow, MemberHistoryRepository } from './member-history.repository';
import { HISTORY_EVENT_CAP, MemberHistoryService } from './member-history.service';
import { FixedClock } from '@mfa/clock';

/** History with groups (docs/enforcement.md): the replay's effective policy at each instant. */
const H = 3_600_000;
const t0 = new Date('2026-11-24T09:00:00.000Z');
const at = (hours: number) => new Date(t0.getTime() + hours * H);
const G = '00000000-0000-4000-8000-00000000000a';
const K = '00000000-0000-4000-8000-00000000000b';

function org(version: number, over: Partial<OrgPolicyState> = {}): OrgPolicyState {
  return { ...defaultOrgPolicy('org'), version, requireMfa: true, gracePeriodHours: 720, requiredSince: at(0), updatedAt: at(0), ...over };
}
function group(groupId: string, version: number, hours: number, over: Partial<OrgPolicyState> = {}): GroupPolicyState {
  return { ...org(version), groupId, gracePeriodHours: 24, requiredSince: at(hours), updatedAt: at(hours), ...over };
}
const NEW: AccountEnforcementFacts = {
  createdAt: t0,
  activeDeviceCount: 0,
  secureActiveDeviceCount: 0,
  graceAnchorAt: null,
  exemptUntil: null,
  exemptReason: null,
};
const start = (over: Partial<HistoryStart> = {}): HistoryStart => ({
  at: t0,
  cause: { type: 'account_created' },
  facts: NEW,
  policy: org(1),
  ...over,
});
const join = (hours: number, groupId = G): TimelineEntry => ({
  at: at(hours),
  cause: { type: 'group_joined', id: groupId },
  membership: { groupId, member: true },
});
const leave = (hours: number, groupId = G): TimelineEntry => ({
  at: at(hours),
  cause: { type: 'group_left', id: groupId },
  membership: { groupId, member: false },
});
const groupVersion = (p: GroupPolicyState): TimelineEntry => ({
  at: p.updatedAt!,
  cause: { type: 'group_policy', id: `${p.groupId}:${p.version}` },
  groupPolicy: p,
});
const path = (items: Array<{ to: string; cause: { type: string } }>) => items.map((i) => `${i.cause.type}>${i.to}`).reverse();

describe('replayHistory with groups', () => {
  it('a group with a shorter grace: pending with the earlier deadline, blocked when it passes, back to the org state on leaving', () => {
    // org: 720 h grace from t0; the group requires with 24 h from its version at 2 h
    const entries = [groupVersion(group(G, 1, 2)), join(5), leave(40)];
    const items = toHistoryItems(replayHistory(start(), entries, at(100)));
    expect(path(items)).toEqual(['account_created>pending', 'group_joined>pending', 'deadline_passed>non_compliant', 'group_left>pending']);
    // the join is shown although the state stays: it moved the deadline from the org's 720 h to the group's
    expect(items[2]).toMatchObject({ at: at(5).toISOString(), from: 'pending', to: 'pending', graceDeadline: at(26).toISOString() });
    expect(items[3].graceDeadline).toBe(at(720).toISOString());
    // the earlier deadline: the group's requiredSince (2 h) + 24 h, not the org's 720 h
    expect(items[1]).toMatchObject({ at: at(26).toISOString(), from: 'pending', to: 'non_compliant', graceDeadline: at(26).toISOString() });
    // after leaving: the org's deadline again
    expect(items[0]).toMatchObject({
      at: at(40).toISOString(),
      cause: { type: 'group_left', id: G },
      graceDeadline: at(720).toISOString(),
    });
  });

  it('names the join when joining blocks at once (the group deadline is already past)', () => {
    const entries = [groupVersion(group(G, 1, 2, { gracePeriodHours: 0 })), join(5)];
    const items = toHistoryItems(replayHistory(start(), entries, at(6)));
    expect(path(items)).toEqual(['account_created>pending', 'group_joined>non_compliant']);
    expect(items[0].cause).toEqual({ type: 'group_joined', id: G });
  });

  it('a group version counts only while the member is in the group', () => {
    const off = start({ policy: defaultOrgPolicy('org') });
    // a version while not a member: nothing; after joining: required; a new version turns it off
    const entries = [groupVersion(group(G, 1, 2)), join(10), groupVersion(group(G, 2, 20, { requireMfa: false, requiredSince: null }))];
    const items = toHistoryItems(replayHistory(off, entries, at(100)));
    expect(path(items)).toEqual(['account_created>not_required', 'group_joined>pending', 'group_policy>not_required']);
    expect(items[0].cause).toEqual({ type: 'group_policy', id: `${G}:2` });
    // a version of a group the member left is not an item
    const later = [join(1), leave(3), groupVersion(group(G, 1, 5))];
    expect(path(toHistoryItems(replayHistory(off, later, at(100))))).toEqual(['account_created>not_required']);
  });

  it('starts in the groups and under the group versions it is given', () => {
    const s = start({ policy: defaultOrgPolicy('org'), groups: [G, K], groupPolicies: [group(G, 3, -10, { gracePeriodHours: 5 })] });
    const items = toHistoryItems(replayHistory(s, [leave(8)], at(50)));
    // the group's deadline counts from the creation (after its requiredSince): t0 + 5 h
    expect(path(items)).toEqual(['account_created>pending', 'deadline_passed>non_compliant', 'group_left>not_required']);
    expect(items[1].at).toBe(at(5).toISOString());
  });

  it('shows a version of one of its groups that moves the deadline, not one that leaves it where it is', () => {
    const entries = [
      groupVersion(group(G, 1, 2, { gracePeriodHours: 100 })),
      join(3),
      groupVersion(group(G, 2, 4, { gracePeriodHours: 50, requiredSince: at(2) })),
      groupVersion(group(G, 3, 6, { gracePeriodHours: 50, requiredSince: at(2), secureMethodsOnly: true })),
    ];
    const items = toHistoryItems(replayHistory(start(), entries, at(10)));
    expect(path(items)).toEqual(['account_created>pending', 'group_joined>pending', 'group_policy>pending']);
    expect(items[0]).toMatchObject({ cause: { type: 'group_policy', id: `${G}:2` }, graceDeadline: at(52).toISOString() });
  });

  it('joining and leaving a group without a policy changes nothing, and is not an item', () => {
    const items = toHistoryItems(replayHistory(start(), [join(1, K), leave(2, K)], at(50)));
    expect(path(items)).toEqual(['account_created>pending']);
  });

  function rng(seed: number): () => number {
    let x = seed;
    return () => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return (x >>> 0) / 4_294_967_296;
    };
  }

  it('ends, on 2,000 generated timelines with groups, in the state effectiveEnforcement gives for the final org, groups and facts', () => {
    for (let seed = 1; seed <= 2000; seed++) {
      const r = rng(seed);
      const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
      let o = r() < 0.5 ? org(1, { gracePeriodHours: pick([0, 24, 720]) }) : defaultOrgPolicy('org');
      const first = start({ policy: o });
      const policies = new Map<string, GroupPolicyState>();
      const memberOf = new Set<string>();
      let facts = { ...NEW };
      const entries: TimelineEntry[] = [];
      let hour = 0;
      for (let i = 0, n = Math.floor(r() * 14); i < n; i++) {
        hour += pick([0, 0.5, 1, 3, 24, 50]);
        const when = at(hour);
        const g = pick([G, K]);
        const kind = pick(['org', 'gpol', 'join', 'leave', 'device', 'reset', 'exempt']);
        if (kind === 'org') {
          o =
            r() < 0.6
              ? org(o.version + 1, { requiredSince: o.requireMfa ? o.requiredSince : when, updatedAt: when })
              : org(o.version + 1, { requireMfa: false, requiredSince: null, updatedAt: when });
          entries.push({ at: when, cause: { type: 'policy_version' }, policy: o });
        } else if (kind === 'gpol') {
          const prev = policies.get(g);
          const on = r() < 0.7;
          const p = group(g, (prev?.version ?? 0) + 1, hour, {
            requireMfa: on,
            requiredSince: on ? (prev?.requireMfa ? prev.requiredSince : when) : null,
            gracePeriodHours: pick([0, 1, 24]),
            secureMethodsOnly: r() < 0.3,
          });
          policies.set(g, p);
          entries.push(groupVersion(p));
        } else if (kind === 'join' || kind === 'leave') {
          if (kind === 'join') memberOf.add(g);
          else memberOf.delete(g);
          entries.push(kind === 'join' ? join(hour, g) : leave(hour, g));
        } else {
          let change: Partial<AccountEnforcementFacts>;
          if (kind === 'device') {
            const active = pick([0, 1]);
            change = { activeDeviceCount: active, secureActiveDeviceCount: Math.min(active, pick([0, 1])) };
          } else if (kind === 'reset') change = { activeDeviceCount: 0, secureActiveDeviceCount: 0, graceAnchorAt: when };
          else change = { exemptUntil: r() < 0.5 ? null : at(hour + pick([0.5, 30])) };
          facts = { ...facts, ...change };
          entries.push({ at: when, cause: { type: 'device_enabled' }, facts: change });
        }
      }
      const now = at(hour + pick([0, 1, 24, 200]));
      const transitions = replayHistory(first, entries, now);
      const mine = [...memberOf].flatMap((id) => (policies.has(id) ? [policies.get(id)!] : []));
      const expected = effectiveState(effectiveRequirement(o, mine, facts), facts, now);
      if (transitions.at(-1)!.to !== expected) throw new Error(`seed ${seed}: replay ends ${transitions.at(-1)!.to}, rule ${expected}`);
      for (let i = 1; i < transitions.length; i++) {
        const [a, b] = [transitions[i - 1], transitions[i]];
        const groupItem = b.cause.type.startsWith('group_');
        if (b.from !== a.to || (b.from === b.to && !groupItem) || b.at < a.at) throw new Error(`seed ${seed}: item ${i} breaks the chain`);
      }
    }
  });
});

function event(id: number, hours: number, kind: MemberEventRow['kind'], ref: string | null = null): MemberEventRow {
  return {
    id: String(id),
    at: at(hours),
    kind,
    ref,
    active_device_count: 0,
    secure_active_device_count: 0,
    grace_anchor_at: null,
    exempt_until: null,
  };
}

/** A repository over arrays, answering like the SQL. */
function fakeRepository(events: MemberEventRow[], groupsNow: string[], groupVersions: GroupPolicyState[]): MemberHistoryRepository {
  const newestFirst = [...groupVersions].sort((a, b) => b.updatedAt!.getTime() - a.updatedAt!.getTime());
  return {
    createdAt: async () => t0,
    newestEvents: async (_o: string, _a: string, limit: number) =>
      [...events].sort((a, b) => b.at.getTime() - a.at.getTime() || Number(b.id) - Number(a.id)).slice(0, limit),
    versionsSince: async () => ({ after: [], atStart: org(1) }),
    currentGroups: async () => groupsNow,
    groupVersionsAt: async (_o: string, ids: string[], when: Date) =>
      ids.flatMap((id) => newestFirst.filter((v) => v.groupId === id && v.updatedAt! <= when).slice(0, 1)),
    groupVersionsAfter: async (_o: string, ids: string[], since: Date, limit: number) =>
      newestFirst.filter((v) => ids.includes(v.groupId) && v.updatedAt! > since).slice(0, limit),
  } as unknown as MemberHistoryRepository;
}

describe('MemberHistoryService with groups', () => {
  it('merges the versions of the groups the member was in, from the membership events', async () => {
    const repo = fakeRepository([event(1, 5, 'group_joined', G), event(2, 40, 'group_left', G)], [], [group(G, 1, 2)]);
    const items = await new MemberHistoryService(repo, new FixedClock(at(100))).items('org', 'acc', at(100));
    expect(path(items)).toEqual(['account_created>pending', 'group_joined>pending', 'deadline_passed>non_compliant', 'group_left>pending']);
    expect(items.map((i) => i.cause.id).filter(Boolean)).toEqual([G, G]);
  });

  it('takes a membership without a joined event (older than the history of groups) as held since the start', async () => {
    const repo = fakeRepository([], [G], [group(G, 1, -5, { gracePeriodHours: 1 })]);
    const items = await new MemberHistoryService(repo, new FixedClock(at(10))).items('org', 'acc', at(10));
    expect(path(items)).toEqual(['account_created>pending', 'deadline_passed>non_compliant']);
    expect(items[0].at).toBe(at(1).toISOString());
  });

  it('bounds the group versions read: past the cap it starts at the oldest kept, in the groups and under the versions then', async () => {
    // the member joined at 1 h; the group then has cap + 5 versions, alternating a 0 h grace and MFA off
    const versions = Array.from({ length: HISTORY_EVENT_CAP + 5 }, (_, i) =>
      group(G, i + 1, 2 + i, i % 2 === 0 ? { gracePeriodHours: 0 } : { requireMfa: false, requiredSince: null }),
    );
    const repo = fakeRepository([event(1, 1, 'group_joined', G)], [G], versions);
    const now = at(2 + HISTORY_EVENT_CAP + 10);
    const items = await new MemberHistoryService(repo, new FixedClock(now)).items('org', 'acc', now);
    const oldest = items[items.length - 1];
    expect(oldest.cause.type).toBe('history_started');
    expect(items.length).toBeLessThanOrEqual(HISTORY_EVENT_CAP + 1);
    // the final state is the newest version's (index cap + 4: even, 0 h grace → non_compliant)
    expect(items[0].to).toBe('non_compliant');
  });
});
