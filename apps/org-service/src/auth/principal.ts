import type { ApiKeyRole } from '@mfa/contracts';

/** Who made an HTTP request, as established by ApiKeyGuard. */
export type Principal = { kind: 'platform' } | { kind: 'api_key'; keyId: string; orgId: string; role: ApiKeyRole };

/**
 * What a route asks of the caller. `org-query`: a read that carries a body (a POST that changes
 * nothing, like the policy preview), open to auditors; every other non-GET is a write.
 */
export type Access = 'platform' | 'org-read' | 'org-query' | 'org-admin';

export interface AuthenticatedRequest {
  principal?: Principal;
}
