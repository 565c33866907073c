import { Injectable } from '@nestjs/common';
import type { ApiKeyCreated, ApiKeyRole } from '@mfa/contracts';
import { AppError } from '@mfa/contracts';
import type { EntityManager } from 'typeorm';
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
  async create(orgId: string, role: ApiKeyRole, label: string | null, manager?: EntityManager): Promise<ApiKeyCreated> {
    const secret = newApiKeySecret();
    await this.keys.insert({ id: secret.id, orgId, role, label, keyHash: secret.hash }, manager);
    return { id: secret.id, key: secret.key, role, label };
  }

  /** A key created by an admin: the key and its `api_key.created` event commit together. */
  createBy(principal: Principal, orgId: string, role: ApiKeyRole, label: string | null): Promise<ApiKeyCreated> {
    return this.keys.transaction(async (manager) => {
      const created = await this.create(orgId, role, label, manager);
      await this.audit.record({ orgId, action: 'api_key.created', actor: actorOf(principal), target: { type: 'api_key', id: created.id }, details: { role, label } }, manager);
      return created;
    });
  }

  /** Revoking an already revoked key is a no-op (204, no second event); another org's key is not_found. */
  async revokeBy(principal: Principal, orgId: string, keyId: string): Promise<void> {
    const outcome = await this.keys.transaction(async (manager) => {
      const result = await this.keys.revoke(orgId, keyId, new Date(), manager);
      if (result === 'revoked') await this.audit.record({ orgId, action: 'api_key.revoked', actor: actorOf(principal), target: { type: 'api_key', id: keyId } }, manager);
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
