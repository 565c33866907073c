import { AppError, isUuid } from '@mfa/contracts';

/** The last row of a page: opaque to callers (base64url JSON), checked when it comes back. */
export interface AuditCursor {
  atKey: string;
  id: string;
}

const AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

export function encodeAuditCursor(c: AuditCursor): string {
  return Buffer.from(JSON.stringify([c.atKey, c.id]), 'utf8').toString('base64url');
}

export function decodeAuditCursor(raw: string): AuditCursor {
  try {
    const value: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && AT.test(String(value[0])) && isUuid(String(value[1]))) {
      return { atKey: String(value[0]), id: String(value[1]) };
    }
  } catch {
    // falls through to the validation error
  }
  throw AppError.validation('cursor: is not a cursor this endpoint returned', [{ field: 'cursor', messages: ['invalid cursor'] }]);
}
