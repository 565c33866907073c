import { Injectable } from '@nestjs/common';
import { InternalPatterns, type ServiceKey, type ServiceKeyScope, ServiceKeyScopes } from '@mfa/contracts';
import { Bus } from '@mfa/bus';
import { InternalKey } from '@mfa/crypto';
import { actorOf, AuditService } from '../audit/audit.service';
import type { Principal } from '../auth/principal';

export type CreatedServiceKeyView = Pick<ServiceKey, 'id' | 'name' | 'scopes' | 'createdAt'> & { secret: string };

/**
 * Member services' bus keys. They live in account-service (whose bus gate reads them); the
 * secret is derived here from the internal key and the key's salt, shown once, never stored.
 */
@Injectable()
export class ServiceKeysService {
  constructor(
    private readonly bus: Bus,
    private readonly audit: AuditService,
    private readonly internalKey: InternalKey,
  ) {}

  async create(
    principal: Principal,
    orgId: string,
    name: string,
    scopes: ServiceKeyScope[] = [...ServiceKeyScopes],
  ): Promise<CreatedServiceKeyView> {
    const { salt, ...key } = await this.bus.send(InternalPatterns.AccountsServiceKeysCreate, { orgId, name, scopes });
    await this.audit.recordNow({
      orgId,
      action: 'service_key.created',
      actor: actorOf(principal),
      target: { type: 'service_key', id: key.id },
      details: { name, scopes },
    });
    const secret = this.internalKey.serviceKeySecret(key.id, Buffer.from(salt, 'base64'));
    return { id: key.id, name: key.name, scopes: key.scopes, secret, createdAt: key.createdAt };
  }

  async list(orgId: string): Promise<{ items: Array<Omit<ServiceKey, 'orgId'>> }> {
    const { items } = await this.bus.send(InternalPatterns.AccountsServiceKeysList, { orgId });
    return { items: items.map(({ orgId: _org, ...k }) => k) };
  }

  /** Entries signed with it are refused within seconds on every instance (docs/security.md). */
  async revoke(principal: Principal, orgId: string, keyId: string): Promise<void> {
    const key = await this.bus.send(InternalPatterns.AccountsServiceKeysRevoke, { orgId, keyId });
    await this.audit.recordNow({
      orgId,
      action: 'service_key.revoked',
      actor: actorOf(principal),
      target: { type: 'service_key', id: key.id },
      details: { name: key.name },
    });
  }
}
