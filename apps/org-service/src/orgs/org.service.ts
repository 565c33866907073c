import { Injectable } from '@nestjs/common';
import {
  AppError,
  type ApiKeyCreated,
  defaultPolicy,
  ErrorCodes,
  InternalPatterns,
  type MemberStats,
  type MfaPolicy,
} from '@mfa/contracts';
import { Bus } from '@mfa/bus';
import { ApiKeyService } from '../api-keys/api-key.service';
import { AuditService } from '../audit/audit.service';
import { OrgRepository } from './org.repository';

export interface OrgCreated {
  id: string;
  name: string;
  createdAt: string;
  adminKey: Pick<ApiKeyCreated, 'id' | 'key' | 'role'>;
}

export interface OrgView {
  id: string;
  name: string;
  createdAt: string;
  policy: MfaPolicy;
  members: MemberStats;
}

@Injectable()
export class OrgService {
  constructor(
    private readonly orgs: OrgRepository,
    private readonly apiKeys: ApiKeyService,
    private readonly bus: Bus,
    private readonly audit: AuditService,
  ) {}

  /** The org and its first admin key commit together: an org nobody can administer never exists. */
  async create(name: string): Promise<OrgCreated> {
    return this.orgs.transaction(async (tx) => {
      const org = await this.orgs.insert(tx, name);
      const key = await this.apiKeys.create(tx, org.id, 'admin', 'initial admin key');
      const actor = { type: 'platform' as const, id: null };
      await this.audit.record(tx, { orgId: org.id, action: 'org.created', actor, target: { type: 'org', id: org.id }, details: { name } });
      await this.audit.record(tx, {
        orgId: org.id,
        action: 'api_key.created',
        actor,
        target: { type: 'api_key', id: key.id },
        details: { role: key.role, label: key.label },
      });
      return { id: org.id, name: org.name, createdAt: org.createdAt.toISOString(), adminKey: { id: key.id, key: key.key, role: key.role } };
    });
  }

  async get(orgId: string): Promise<OrgView> {
    const org = await this.orgs.findById(orgId);
    if (!org) throw AppError.notFound('organization');
    const [policy, members] = await Promise.all([
      this.currentPolicy(orgId),
      this.bus.send(InternalPatterns.AccountsMembersStats, { orgId }),
    ]);
    return { id: org.id, name: org.name, createdAt: org.createdAt.toISOString(), policy, members };
  }

  /**
   * account-service holds the org's current policy. Until a handler serves the pattern the
   * answer is `unknown_pattern`, which means "no policy was ever set": the contract's default.
   * A slow or failed answer is not turned into a default (that would show a wrong policy).
   */
  private async currentPolicy(orgId: string): Promise<MfaPolicy> {
    try {
      return await this.bus.send(InternalPatterns.AccountsPolicyGet, { orgId });
    } catch (err) {
      if (err instanceof AppError && err.code === ErrorCodes.UnknownPattern) return defaultPolicy(orgId);
      throw err;
    }
  }
}
