import { Injectable } from '@nestjs/common';
import { Clock } from '@mfa/clock';
import { AppError, type HistoryItem, type MemberHistoryRequest, type Page } from '@mfa/contracts';
import { type AccountEnforcementFacts, defaultOrgPolicy } from './compute-enforcement';
import { decodeHistoryCursor, encodeHistoryCursor, pageAfter } from './history-cursor';
import { type HistoryStart, replayHistory, type TimelineEntry, toHistoryItems } from './member-history';
import { type MemberEventRow, MemberHistoryRepository } from './member-history.repository';
import type { GroupPolicyState } from './effective-enforcement';

/**
 * The work of one request is bounded: at most HISTORY_EVENT_CAP member events and as many
 * policy versions are read; a longer past starts at the oldest kept fact (`history_started`,
 * with the member's facts then). docs/enforcement.md, "History".
 */
export const HISTORY_EVENT_CAP = 1000;

const NO_FACTS: AccountEnforcementFacts = {
  createdAt: new Date(0),
  activeDeviceCount: 0,
  secureActiveDeviceCount: 0,
  graceAnchorAt: null,
  exemptUntil: null,
  exemptReason: null,
};

/** The facts a member event row stands for: all of them (the start) or only those its kind changes. */
function factsOf(row: MemberEventRow, all = false): Partial<AccountEnforcementFacts> {
  const counts = { activeDeviceCount: Number(row.active_device_count), secureActiveDeviceCount: Number(row.secure_active_device_count) };
  const anchor = { graceAnchorAt: row.grace_anchor_at ? new Date(row.grace_anchor_at) : null };
  const exemption = { exemptUntil: row.exempt_until ? new Date(row.exempt_until) : null };
  if (all) return { ...counts, ...anchor, ...exemption };
  switch (row.kind) {
    case 'device_enabled':
    case 'device_removed':
      return counts;
    case 'device_reset':
      return { ...counts, ...anchor };
    case 'exemption_set':
    case 'exemption_removed':
      return exemption;
    default:
      // group_joined / group_left change the groups, not the facts (entryOf)
      return {};
  }
}

function entryOf(row: MemberEventRow): TimelineEntry {
  const cause = row.ref ? { type: row.kind, id: row.ref } : { type: row.kind };
  if (isMembership(row)) return { at: row.at, cause, membership: { groupId: row.ref!, member: row.kind === 'group_joined' } };
  return { at: row.at, cause, facts: factsOf(row) };
}

function isMembership(row: MemberEventRow): boolean {
  return (row.kind === 'group_joined' || row.kind === 'group_left') && !!row.ref;
}

/**
 * The groups the member belonged to at the start, worked back from its groups now: undo every
 * membership event after the start, newest first (a membership older than the events kept, or from
 * before the history of groups, counts as held since the start).
 */
function groupsAtStart(now: string[], later: MemberEventRow[]): Set<string> {
  const groups = new Set(now);
  for (let i = later.length - 1; i >= 0; i--) {
    const e = later[i];
    if (!isMembership(e)) continue;
    if (e.kind === 'group_joined') groups.delete(e.ref!);
    else groups.add(e.ref!);
  }
  return groups;
}

/** A group version's cause id: the group id and the version. */
export function groupPolicyCauseId(p: GroupPolicyState): string {
  return `${p.groupId}:${p.version}`;
}

/** A member's enforcement history: read the facts and versions, replay the rule, page newest first. */
@Injectable()
export class MemberHistoryService {
  constructor(
    private readonly history: MemberHistoryRepository,
    private readonly clock: Clock,
  ) {}

  async page(req: MemberHistoryRequest): Promise<Page<HistoryItem>> {
    const position = req.cursor ? decodeHistoryCursor(req.cursor) : null;
    const items = await this.items(req.orgId, req.accountId, this.clock.now());
    const { items: page, next } = pageAfter(items, position, req.limit);
    return { items: page, nextCursor: next ? encodeHistoryCursor(next) : null };
  }

  /** Every item of the member's history up to `now`, newest first. */
  async items(orgId: string, accountId: string, now: Date): Promise<HistoryItem[]> {
    const createdAt = await this.history.createdAt(orgId, accountId);
    if (!createdAt) throw AppError.notFound('member');
    const newest = await this.history.newestEvents(orgId, accountId, HISTORY_EVENT_CAP + 1);
    const events = newest.slice(0, HISTORY_EVENT_CAP).reverse(); // oldest first
    const oldest = events[0];
    // the start: the account's creation, or the first fact kept (the migration's row, or the cap)
    let startAt = createdAt;
    let startFacts: AccountEnforcementFacts = { ...NO_FACTS, createdAt };
    let startCause: HistoryStart['cause'] = { type: 'account_created' };
    let later = events;
    if (oldest && (newest.length > HISTORY_EVENT_CAP || oldest.kind === 'history_started')) {
      startAt = oldest.at;
      startFacts = { ...startFacts, ...factsOf(oldest, true) };
      startCause = { type: 'history_started' };
      later = events.slice(1);
    }
    const versions = await this.history.versionsSince(orgId, startAt, HISTORY_EVENT_CAP + 1);
    let startPolicy = versions.atStart ?? defaultOrgPolicy(orgId);
    let kept = versions.after.slice(0, HISTORY_EVENT_CAP).reverse(); // oldest first
    if (versions.after.length > HISTORY_EVENT_CAP) {
      // too many versions since the start: begin at the oldest version kept, with the facts then
      const first = kept[0];
      kept = kept.slice(1);
      const at = first.updatedAt!;
      for (const e of later) if (e.at <= at) startFacts = { ...startFacts, ...factsOf(e) };
      later = later.filter((e) => e.at > at);
      [startAt, startPolicy, startCause] = [at, first, { type: 'history_started' }];
    }
    // groups ("History with groups"): the member's groups at the start, every group it was in since,
    // and those groups' versions in force at the start and after it (group-level rows, merged here)
    const startGroups = groupsAtStart(await this.history.currentGroups(orgId, accountId), later);
    const involved = [...new Set([...startGroups, ...later.filter(isMembership).map((e) => e.ref!)])];
    const groupVersions = await this.history.groupVersionsAfter(orgId, involved, startAt, HISTORY_EVENT_CAP + 1);
    let keptGroupVersions = groupVersions.slice(0, HISTORY_EVENT_CAP).reverse(); // oldest first
    if (groupVersions.length > HISTORY_EVENT_CAP) {
      // too many group versions since the start: begin at the oldest kept, with the facts, groups and org version then
      const at = keptGroupVersions[0].updatedAt!;
      for (const e of later) if (e.at <= at) startFacts = { ...startFacts, ...factsOf(e) };
      const stillLater = later.filter((e) => e.at > at);
      for (const v of kept) if (v.updatedAt! <= at) startPolicy = v;
      kept = kept.filter((v) => v.updatedAt! > at);
      later = stillLater;
      startGroups.clear();
      for (const g of groupsAtStart(await this.history.currentGroups(orgId, accountId), later)) startGroups.add(g);
      keptGroupVersions = keptGroupVersions.filter((v) => v.updatedAt! > at);
      [startAt, startCause] = [at, { type: 'history_started' }];
    }
    const startGroupPolicies = await this.history.groupVersionsAt(orgId, involved, startAt);
    const entries: TimelineEntry[] = [
      ...kept.map((policy) => ({ at: policy.updatedAt!, cause: { type: 'policy_version' as const, id: String(policy.version) }, policy })),
      ...keptGroupVersions.map((groupPolicy) => ({
        at: groupPolicy.updatedAt!,
        cause: { type: 'group_policy' as const, id: groupPolicyCauseId(groupPolicy) },
        groupPolicy,
      })),
      ...later.map(entryOf),
    ];
    const start: HistoryStart = {
      at: startAt,
      cause: startCause,
      facts: startFacts,
      policy: startPolicy,
      groups: [...startGroups],
      groupPolicies: startGroupPolicies,
    };
    return toHistoryItems(replayHistory(start, entries, now));
  }
}
