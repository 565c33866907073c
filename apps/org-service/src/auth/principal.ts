import type { ApiKeyRole } from '@mfa/contracts';

/** Who made an HTTP request, as established by ApiKeyGuard. */
export type Principal = { kind: 'platform' } | { kind: 'api_key'; keyId: string; orgId: string; role: ApiKeyRole };

/** What a route asks of the caller. */
export type Access = 'platform' | 'org-read' | 'org-admin';

export interface AuthenticatedRequest {
  principal?: Principal;
}
