import type { EnforcementState, HistoryCause, HistoryItem } from '@mfa/contracts';
import type { AccountEnforcementFacts, OrgPolicyState } from './compute-enforcement';
import { effectiveRequirement, effectiveState, type GroupPolicyState } from './effective-enforcement';

/**
 * A member's enforcement history, derived on read (docs/enforcement.md, "History"): the rule
 * replayed over the merged timeline of the member's facts and the policies in force, plus the
 * instants at which time alone changes the state (a deadline passing, an exemption running out).
 * At each instant the policy is the member's EFFECTIVE one (`effectiveRequirement`): the org's
 * version in force and the group versions in force of the groups the member belonged to then
 * ("History with groups"). With no group it is computeEnforcement's rule. Pure: no clock, no I/O.
 */

/** Where the replay starts: the account's creation, or the first fact kept (the migration, a cap). */
export interface HistoryStart {
  at: Date;
  cause: HistoryCause;
  facts: AccountEnforcementFacts;
  /** the org's policy in force at `at` */
  policy: OrgPolicyState;
  /** the groups the member belonged to at `at` */
  groups?: string[];
  /** the policy version in force at `at` of each group that had one (any group, member or not) */
  groupPolicies?: GroupPolicyState[];
}

/**
 * One change on the timeline, at its own time. A `facts` change sets only the facts it names
 * (a device event sets the counts, a reset the counts and the anchor, an exemption its end); a
 * `policy` change replaces the org's policy (a version); a `groupPolicy` change replaces one
 * group's policy (a version; it changes the member's effective policy only while a member of that
 * group); `membership` says the member joined (true) or left (false) a group.
 */
export type TimelineEntry =
  | { at: Date; cause: HistoryCause; facts: Partial<AccountEnforcementFacts> }
  | { at: Date; cause: HistoryCause; policy: OrgPolicyState }
  | { at: Date; cause: HistoryCause; groupPolicy: GroupPolicyState }
  | { at: Date; cause: HistoryCause; membership: { groupId: string; member: boolean } };

interface Transition {
  at: Date;
  from: EnforcementState | null;
  to: EnforcementState;
  cause: HistoryCause;
  deadline: Date | null;
}

/** Stable order of entries at the same instant is the caller's (by id); this sorts by time only. */
function byTime(a: TimelineEntry, b: TimelineEntry): number {
  return a.at.getTime() - b.at.getTime();
}

/**
 * The transitions from `start` up to `now` (inclusive), oldest first. The first one is the start
 * itself (`from` null); after that, only instants where the state changes, and the group changes
 * that changed or could change the member's effective policy (joining or leaving a group that has a
 * policy; a version of one of its groups that moves its deadline), whose `from` may equal `to`. Entries after `now`
 * are ignored; entries before `start` are taken as already part of it (one at its very instant
 * is applied after it).
 */
export function replayHistory(start: HistoryStart, entries: TimelineEntry[], now: Date): Transition[] {
  let org = start.policy;
  const memberOf = new Set(start.groups ?? []);
  const groupPolicies = new Map((start.groupPolicies ?? []).map((g) => [g.groupId, g]));
  let facts: AccountEnforcementFacts = { ...start.facts };
  let t = start.at;
  const effective = () => {
    const mine = [...memberOf].flatMap((id) => {
      const g = groupPolicies.get(id);
      return g ? [g] : [];
    });
    return effectiveRequirement(org, mine, facts);
  };
  let state = effectiveState(effective(), facts, t);
  const out: Transition[] = [{ at: t, from: null, to: state, cause: start.cause, deadline: effective().deadline }];

  /** `shown`: an item even when the state stays (a group change that changed or could change the effective policy) */
  const move = (at: Date, cause: HistoryCause, shown = false) => {
    const r = effective();
    const next = effectiveState(r, facts, at);
    if (next !== state || shown) out.push({ at, from: state, to: next, cause, deadline: r.deadline });
    state = next;
    t = at;
  };

  /** The instants in (t, until] at which time alone may change the state, in order. */
  const passTime = (until: Date) => {
    const candidates: Array<{ at: Date; cause: HistoryCause }> = [];
    if (facts.exemptUntil && facts.exemptUntil > t && facts.exemptUntil <= until) {
      candidates.push({ at: facts.exemptUntil, cause: { type: 'exemption_expired' } });
    }
    const deadline = effective().deadline;
    if (deadline && deadline > t && deadline <= until) candidates.push({ at: deadline, cause: { type: 'deadline_passed' } });
    // an exemption ending at the deadline's instant is what changed the state: it comes first
    candidates.sort((a, b) => a.at.getTime() - b.at.getTime());
    for (const c of candidates) move(c.at, c.cause);
  };

  const sorted = entries.filter((e) => e.at >= start.at && e.at <= now).sort(byTime);
  for (const entry of sorted) {
    passTime(entry.at);
    let shown = false;
    if ('policy' in entry) org = entry.policy;
    else if ('groupPolicy' in entry) {
      // a version of one of the member's groups that moves its deadline is shown even if the state stays
      const before = effective().deadline?.getTime() ?? null;
      groupPolicies.set(entry.groupPolicy.groupId, entry.groupPolicy);
      shown = memberOf.has(entry.groupPolicy.groupId) && (effective().deadline?.getTime() ?? null) !== before;
    } else if ('membership' in entry) {
      const { groupId, member } = entry.membership;
      // joining or leaving a group that has a policy then changed or could change the effective policy: shown
      shown = groupPolicies.has(groupId) && memberOf.has(groupId) !== member;
      if (member) memberOf.add(groupId);
      else memberOf.delete(groupId);
    } else facts = { ...facts, ...entry.facts };
    move(entry.at, entry.cause, shown);
  }
  passTime(now);
  return out;
}

/** The wire items, newest first. */
export function toHistoryItems(transitions: Transition[]): HistoryItem[] {
  const items: HistoryItem[] = [];
  for (let i = transitions.length - 1; i >= 0; i--) {
    const x = transitions[i];
    items.push({
      at: x.at.toISOString(),
      from: x.from,
      to: x.to,
      cause: x.cause,
      graceDeadline: x.deadline ? x.deadline.toISOString() : null,
    });
  }
  return items;
}
