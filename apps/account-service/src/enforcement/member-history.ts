import type { EnforcementState, HistoryCause, HistoryItem } from '@mfa/contracts';
import { type AccountEnforcementFacts, enforcementState, graceDeadline, type OrgPolicyState } from './compute-enforcement';

/**
 * A member's enforcement history, derived on read (docs/enforcement.md, "History"): the rule
 * (computeEnforcement's `enforcementState`) replayed over the merged timeline of the member's
 * facts and the policies in force, plus the instants at which time alone changes the state (a
 * deadline passing, an exemption running out). Pure: no clock, no I/O.
 */

/** Where the replay starts: the account's creation, or the first fact kept (the migration, a cap). */
export interface HistoryStart {
  at: Date;
  cause: HistoryCause;
  facts: AccountEnforcementFacts;
  /** the policy in force for the member at `at` */
  policy: OrgPolicyState;
}

/**
 * One change on the timeline, at its own time. A `facts` change sets only the facts it names
 * (a device event sets the counts, a reset the counts and the anchor, an exemption its end); a
 * `policy` change replaces the member's effective policy (an org version today; a group joined
 * or left, or a group policy version, once groups feed it in as the effective policy then).
 */
export type TimelineEntry =
  { at: Date; cause: HistoryCause; facts: Partial<AccountEnforcementFacts> } | { at: Date; cause: HistoryCause; policy: OrgPolicyState };

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
 * itself (`from` null); after that, only instants where the state changes. Entries after `now`
 * are ignored; entries before `start` are taken as already part of it (one at its very instant
 * is applied after it).
 */
export function replayHistory(start: HistoryStart, entries: TimelineEntry[], now: Date): Transition[] {
  let policy = start.policy;
  let facts: AccountEnforcementFacts = { ...start.facts };
  let t = start.at;
  let state = enforcementState(policy, facts, t);
  const out: Transition[] = [{ at: t, from: null, to: state, cause: start.cause, deadline: graceDeadline(policy, facts) }];

  const move = (at: Date, cause: HistoryCause) => {
    const next = enforcementState(policy, facts, at);
    if (next !== state) out.push({ at, from: state, to: next, cause, deadline: graceDeadline(policy, facts) });
    state = next;
    t = at;
  };

  /** The instants in (t, until] at which time alone may change the state, in order. */
  const passTime = (until: Date) => {
    const candidates: Array<{ at: Date; cause: HistoryCause }> = [];
    if (facts.exemptUntil && facts.exemptUntil > t && facts.exemptUntil <= until) {
      candidates.push({ at: facts.exemptUntil, cause: { type: 'exemption_expired' } });
    }
    const deadline = graceDeadline(policy, facts);
    if (deadline && deadline > t && deadline <= until) candidates.push({ at: deadline, cause: { type: 'deadline_passed' } });
    // an exemption ending at the deadline's instant is what changed the state: it comes first
    candidates.sort((a, b) => a.at.getTime() - b.at.getTime());
    for (const c of candidates) move(c.at, c.cause);
  };

  const sorted = entries.filter((e) => e.at >= start.at && e.at <= now).sort(byTime);
  for (const entry of sorted) {
    passTime(entry.at);
    if ('policy' in entry) policy = entry.policy;
    else facts = { ...facts, ...entry.facts };
    move(entry.at, entry.cause);
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
