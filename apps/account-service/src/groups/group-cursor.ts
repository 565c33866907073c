import { AppError, isUuid } from '@mfa/contracts';

/** The opaque `nextCursor` of group listings: the last id of the page, versioned (as member cursors). */
export function encodeGroupCursor(lastId: string): string {
  return Buffer.from(`g1:${lastId}`, 'utf8').toString('base64url');
}

export function decodeGroupCursor(cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const id = text.startsWith('g1:') ? text.slice(3) : '';
  if (!isUuid(id)) throw AppError.validation('cursor is invalid: pass nextCursor from the previous page unchanged', [{ field: 'cursor' }]);
  return id;
}
