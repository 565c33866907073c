import { FixedClock } from '@mfa/clock';
import { defaultOrgPolicy, type OrgPolicyState } from './compute-enforcement';
import type { MemberEventRow, MemberHistoryRepository } from './member-history.repository';
import { HISTORY_EVENT_CAP, MemberHistoryService } from './member-history.service';

const H = 3_600_000;
const t0 = new Date('2026-11-24T09:00:00.000Z');
const at = (hours: number) => new Date(t0.getTime() + hours * H);

function version(v: number, hours: number, over: Partial<OrgPolicyState> = {}): OrgPolicyState {
  return {
    ...defaultOrgPolicy('org'),
    version: v,
    requireMfa: true,
    gracePeriodHours: 24,
    requiredSince: at(hours),
    updatedAt: at(hours),
    ...over,
  };
}

function event(id: number, hours: number, kind: MemberEventRow['kind'], over: Partial<MemberEventRow> = {}): MemberEventRow {
  return {
    id: String(id),
    at: at(hours),
    kind,
    ref: null,
    active_device_count: 0,
    secure_active_device_count: 0,
    grace_anchor_at: null,
    exempt_until: null,
    ...over,
  };
}

/** A repository over arrays, answering like the SQL (newest first, caps, the version in force at a time). */
function fakeRepository(createdAt: Date | null, events: MemberEventRow[], versions: OrgPolicyState[]): MemberHistoryRepository {
  return {
    createdAt: async () => createdAt,
    newestEvents: async (_o: string, _a: string, limit: number) =>
      [...events].sort((a, b) => b.at.getTime() - a.at.getTime() || Number(b.id) - Number(a.id)).slice(0, limit),
    versionsSince: async (_o: string, since: Date, limit: number) => {
      const newest = [...versions].sort((a, b) => b.updatedAt!.getTime() - a.updatedAt!.getTime());
      return {
        after: newest.filter((v) => v.updatedAt! > since).slice(0, limit),
        atStart: newest.find((v) => v.updatedAt! <= since) ?? null,
      };
    },
    // no groups here (member-history-groups.spec.ts has them)
    currentGroups: async () => [],
    groupVersionsAt: async () => [],
    groupVersionsAfter: async () => [],
  } as unknown as MemberHistoryRepository;
}

const causes = (items: Array<{ cause: { type: string }; to: string }>) => items.map((i) => `${i.cause.type}>${i.to}`).reverse();

describe(MemberHistoryService.name, () => {
  it('starts at the account creation under the version in force then', async () => {
    const sut = new MemberHistoryService(fakeRepository(at(2), [], [version(1, 1)]), new FixedClock(at(100)));
    const items = await sut.items('org', 'acc', at(100));
    expect(causes(items)).toEqual(['account_created>pending', 'deadline_passed>non_compliant']);
    // the deadline counts from the creation, which is after requiredSince
    expect(items[0].at).toBe(at(26).toISOString());
  });

  it('starts a member that existed before the migration at its history_started row, with the facts it holds', async () => {
    const events = [
      event(1, 10, 'history_started', { active_device_count: 1, secure_active_device_count: 1 }),
      event(2, 20, 'device_removed', { ref: 'totp:1' }),
    ];
    const sut = new MemberHistoryService(fakeRepository(at(-500), events, [version(1, 1)]), new FixedClock(at(100)));
    const items = await sut.items('org', 'acc', at(100));
    // the device goes at 20 h, before the deadline (requiredSince + 24 h = 25 h), which then passes
    expect(causes(items)).toEqual(['history_started>compliant', 'device_removed>pending', 'deadline_passed>non_compliant']);
    expect(items[1].cause).toEqual({ type: 'device_removed', id: 'totp:1' });
  });

  it(`reads at most ${HISTORY_EVENT_CAP} events and starts at the oldest kept, from its facts`, async () => {
    const events = Array.from({ length: HISTORY_EVENT_CAP + 50 }, (_, i) =>
      event(i + 1, 2 + i * 0.01, i % 2 === 0 ? 'exemption_set' : 'exemption_removed', { exempt_until: i % 2 === 0 ? at(1000) : null }),
    );
    const sut = new MemberHistoryService(fakeRepository(at(0), events, [version(1, 1)]), new FixedClock(at(100)));
    const items = await sut.items('org', 'acc', at(100));
    const oldest = items[items.length - 1];
    expect(oldest).toMatchObject({ from: null, cause: { type: 'history_started' }, at: events[50].at.toISOString() });
    // the start, one change per kept event after it (set, removed, ...), then the deadline passing
    expect(items).toHaveLength(HISTORY_EVENT_CAP + 1);
    // the last event removed the exemption, long after the deadline
    expect(items[0].to).toBe('non_compliant');
  });

  it('starts at the oldest version kept when the org has more versions than the cap since the start', async () => {
    const versions = Array.from({ length: HISTORY_EVENT_CAP + 10 }, (_, i) =>
      version(i + 1, 1 + i * 0.01, { requireMfa: i % 2 === 0, requiredSince: i % 2 === 0 ? at(1 + i * 0.01) : null }),
    );
    const events = [event(1, 1.05, 'device_enabled', { active_device_count: 1, secure_active_device_count: 1 })];
    const sut = new MemberHistoryService(fakeRepository(at(0), events, versions), new FixedClock(at(100)));
    const items = await sut.items('org', 'acc', at(100));
    const oldest = items[items.length - 1];
    expect(oldest.cause.type).toBe('history_started');
    // versions 11..1010 kept: the start is version 11's time, after the device was enabled
    expect(oldest.at).toBe(versions[10].updatedAt!.toISOString());
    // the device enabled before the window is folded into the start: compliant or not_required only
    expect(new Set(items.map((i) => i.to))).toEqual(new Set(['compliant', 'not_required']));
  });

  it('is not_found for a member of another org', async () => {
    const sut = new MemberHistoryService(fakeRepository(null, [], []), new FixedClock(at(0)));
    await expect(sut.page({ orgId: 'org', accountId: 'acc', limit: 10 })).rejects.toMatchObject({ code: 'not_found' });
  });
});
