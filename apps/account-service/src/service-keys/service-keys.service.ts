import { Injectable } from '@nestjs/common';
import { AppError, ErrorCodes, isUuid } from '@mfa/contracts';
import type { CreatedServiceKey, CreateServiceKeyRequest, ResolveCallersReply, ServiceKey } from '@mfa/contracts';
import { AccountRepository } from '../accounts/account.repository';
import { ServiceKeyRepository, toServiceKey } from './service-key.repository';

/** Keys in force per org: enough for every app of an org, few enough that a loop cannot fill the table. */
export const MAX_SERVICE_KEYS_PER_ORG = 100;

@Injectable()
export class ServiceKeysService {
  constructor(
    private readonly keys: ServiceKeyRepository,
    private readonly accounts: AccountRepository,
  ) {}

  async create(req: CreateServiceKeyRequest): Promise<CreatedServiceKey> {
    const row = await this.keys.insert(req.orgId, req.name, req.scopes, MAX_SERVICE_KEYS_PER_ORG);
    if (!row) {
      throw new AppError(
        ErrorCodes.Conflict,
        `an org has at most ${MAX_SERVICE_KEYS_PER_ORG} service keys in force (and ${10 * MAX_SERVICE_KEYS_PER_ORG} kept, revoked ones for a week); revoke one first`,
      );
    }
    return { ...toServiceKey(row), salt: row.salt.toString('base64') };
  }

  async list(orgId: string): Promise<{ items: ServiceKey[] }> {
    return { items: (await this.keys.listInOrg(orgId)).map(toServiceKey) };
  }

  async revoke(orgId: string, keyId: string): Promise<ServiceKey> {
    const row = await this.keys.revoke(orgId, keyId);
    if (!row) throw AppError.notFound('service key');
    return toServiceKey(row);
  }

  /** What a bus gate needs: keys by id (the salt derives the secret) and accounts' orgs. */
  async resolve(keyIds: string[], accountIds: string[]): Promise<ResolveCallersReply> {
    const [keys, orgs] = await Promise.all([
      keyIds.some(isUuid) ? this.keys.findInUse(keyIds.filter(isUuid)) : [],
      accountIds.some(isUuid) ? this.accounts.orgsOf(accountIds.filter(isUuid)) : new Map<string, string>(),
    ]);
    return {
      keys: keys.map((k) => ({
        id: k.id,
        orgId: k.org_id,
        scopes: k.scopes,
        salt: k.salt.toString('base64'),
        revoked: k.revoked_at !== null,
      })),
      accounts: [...orgs].map(([id, orgId]) => ({ id, orgId })),
    };
  }
}
