import { Injectable } from '@nestjs/common';
import type { ApiKeyCreated, ApiKeyRole } from '@mfa/contracts';
import type { Db } from '@mfa/database';
import { AppError } from '@mfa/contracts';
import { constantTimeEqual } from '@mfa/crypto';
import { newApiKeySecret, parseApiKey } from '../auth/api-key-secret';
import { PlatformKey } from '../auth/platform-key';
import type { Principal } from '../auth/principal';
import { actorOf, AuditService } from '../audit/audit.service';
import { ApiKeyRepository } from './api-key.repository';

@Injectable()
export class ApiKeyService {
  constructor(
    private readonly keys: ApiKeyRepository,
    private readonly platformKey: PlatformKey,
    private readonly audit: AuditService,
  ) {}

  /** The only moment the key is ever seen: it is returned here and stored as a hash. */
  async create(tx: Db, orgId: string, role: ApiKeyRole, label: string | null): Promise<ApiKeyCreated> {
    const secret = newApiKeySecret();
    await this.keys.insert(tx, { id: secret.id, orgId, role, label, keyHash: secret.hash });
    return { id: secret.id, key: secret.key, role, label };
  }

  /** A key created by an admin: the key and its `api_key.created` event commit together. */
  createBy(principal: Principal, orgId: string, role: ApiKeyRole, label: string | null): Promise<ApiKeyCreated> {
    return this.keys.transaction(async (tx) => {
      const created = await this.create(tx, orgId, role, label);
      await this.audit.record(tx, {
        orgId,
        action: 'api_key.created',
        actor: actorOf(principal),
        target: { type: 'api_key', id: created.id },
        details: { role, label },
      });
      return created;
    });
  }

  /** Revoking an already revoked key is a no-op (204, no second event); another org's key is not_found. */
  async revokeBy(principal: Principal, orgId: string, keyId: string): Promise<void> {
    const outcome = await this.keys.transaction(async (tx) => {
      const result = await this.keys.revoke(tx, orgId, keyId, new Date());
      if (result === 'revoked')
        await this.audit.record(tx, {
          orgId,
          action: 'api_key.revoked',
          actor: actorOf(principal),
          target: { type: 'api_key', id: keyId },
        });
      return result;
    });
    if (outcome === 'missing') throw AppError.notFound('api key');
  }

  /** The caller behind a bearer token, or null for a missing, unknown, malformed or revoked key. */
  async authenticate(token: string): Promise<Principal | null> {
    if (this.platformKey.matches(token)) return { kind: 'platform' };
    const parsed = parseApiKey(token);
    if (!parsed) return null;
    const row = await this.keys.findById(parsed.id);
    if (!row || row.revokedAt || !constantTimeEqual(parsed.hash, row.keyHash)) return null;
    return { kind: 'api_key', keyId: row.id, orgId: row.orgId, role: row.role };
  }
}
