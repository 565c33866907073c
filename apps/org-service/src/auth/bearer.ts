import { AppError, ErrorCodes } from '@mfa/contracts';
import type { ApiKeyService } from '../api-keys/api-key.service';
import type { Principal } from './principal';

/** The key of an `Authorization: Bearer <key>` header, or null. */
export function bearerToken(header: string | string[] | undefined): string | null {
  const m = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return m ? m[1] : null;
}

/** The caller behind an Authorization header, or `unauthenticated`: one rule for the guard and the body gate. */
export async function principalOfHeader(apiKeys: ApiKeyService, header: string | string[] | undefined): Promise<Principal> {
  const key = bearerToken(header);
  const principal = key ? await apiKeys.authenticate(key) : null;
  if (!principal) throw new AppError(ErrorCodes.Unauthenticated, key ? 'unknown or revoked API key' : 'missing bearer API key');
  return principal;
}
