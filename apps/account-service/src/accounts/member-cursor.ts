import { AppError, EMAIL_PREFIX_PATTERN, isUuid } from '@mfa/contracts';

/**
 * The opaque `nextCursor` of member listings, base64url-encoded with a version so the format can
 * change without breaking cursors already handed out:
 * - `m1:<id>`: the last id of the page (keyset paging on (org_id, id));
 * - `e1:<id>:<lower(email)>`: the last member of an email search page (keyset on
 *   (org_id, lower(email), id), the search's order).
 * A cursor of one kind passed to the other listing is refused like a garbled one.
 */
export interface EmailKey {
  email: string;
  id: string;
}

const invalid = () => AppError.validation('cursor is invalid: pass nextCursor from the previous page unchanged', [{ field: 'cursor' }]);

export function encodeMemberCursor(lastId: string): string {
  return Buffer.from(`m1:${lastId}`, 'utf8').toString('base64url');
}

export function decodeMemberCursor(cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const id = text.startsWith('m1:') ? text.slice(3) : '';
  if (!isUuid(id)) throw invalid();
  return id;
}

export function encodeEmailCursor(last: EmailKey): string {
  return Buffer.from(`e1:${last.id}:${last.email}`, 'utf8').toString('base64url');
}

export function decodeEmailCursor(cursor: string): EmailKey {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const id = text.slice(3, 39);
  const email = text.slice(40);
  // a NUL would reach Postgres as a text parameter and fail there (a 500): no email has one
  if (!text.startsWith('e1:') || !isUuid(id) || text[39] !== ':' || email.length === 0 || !EMAIL_PREFIX_PATTERN.test(email))
    throw invalid();
  return { id, email };
}
