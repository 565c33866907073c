import { AppError, isUuid } from '@mfa/contracts';

/**
 * The opaque `nextCursor` of member listings: the last id of the page (keyset paging on
 * (org_id, id)), base64url-encoded with a version so the format can change without breaking
 * cursors already handed out.
 */
export function encodeMemberCursor(lastId: string): string {
  return Buffer.from(`m1:${lastId}`, 'utf8').toString('base64url');
}

export function decodeMemberCursor(cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const id = text.startsWith('m1:') ? text.slice(3) : '';
  if (!isUuid(id)) throw AppError.validation('cursor is invalid: pass nextCursor from the previous page unchanged', [{ field: 'cursor' }]);
  return id;
}
