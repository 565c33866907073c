import { AppError, ErrorCodes } from '@mfa/contracts';
import type { ApiKeyService } from '../api-keys/api-key.service';
import type { Principal } from './principal';

/** The caller behind an Authorization header, or `unauthenticated`: one rule for the guard and the body gate. */
export async function principalOfHeader(apiKeys: ApiKeyService, header: string | string[] | undefined): Promise<Principal> {
  const m = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  const principal = m ? await apiKeys.authenticate(m[1]) : null;
  if (!principal) throw new AppError(ErrorCodes.Unauthenticated, m ? 'unknown or revoked API key' : 'missing bearer API key');
  return principal;
}
