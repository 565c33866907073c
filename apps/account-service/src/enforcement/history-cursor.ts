import { AppError } from '@mfa/contracts';

/**
 * The opaque `nextCursor` of a member's history: the time of the last item handed out and how
 * many items of that same instant were handed out (items are newest first). Positions by time,
 * not by index, so items added since (newer ones, or a deadline that passed meanwhile) never
 * shift a page that follows.
 */
export interface HistoryPosition {
  atMs: number;
  /** items at exactly atMs already handed out */
  seen: number;
}

export function encodeHistoryCursor(p: HistoryPosition): string {
  return Buffer.from(`h1:${p.atMs}:${p.seen}`, 'utf8').toString('base64url');
}

export function decodeHistoryCursor(cursor: string): HistoryPosition {
  const match = /^h1:(\d{1,15}):(\d{1,6})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) {
    throw AppError.validation('cursor is invalid: pass nextCursor from the previous page unchanged', [
      { field: 'cursor', problems: ['cursor must be the nextCursor of a previous page'] },
    ]);
  }
  return { atMs: Number(match[1]), seen: Number(match[2]) };
}

/** The page after `position` of items sorted newest first, and the position after it (null: last page). */
export function pageAfter<T extends { at: string }>(
  items: T[],
  position: HistoryPosition | null,
  limit: number,
): { items: T[]; next: HistoryPosition | null } {
  let start = 0;
  if (position) {
    let sameInstant = 0;
    while (start < items.length) {
      const atMs = Date.parse(items[start].at);
      if (atMs > position.atMs) start++;
      else if (atMs === position.atMs && sameInstant < position.seen) {
        start++;
        sameInstant++;
      } else break;
    }
  }
  const page = items.slice(start, start + limit);
  if (start + limit >= items.length || page.length === 0) return { items: page, next: null };
  const lastMs = Date.parse(page[page.length - 1].at);
  // items at the last instant handed out, in this page and before it
  let seen = 0;
  for (let i = start + page.length - 1; i >= 0 && Date.parse(items[i].at) === lastMs; i--) seen++;
  return { items: page, next: { atMs: lastMs, seen } };
}
