import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppError, defaultPolicy, ErrorCodes, type MfaMethod, type MfaPolicy } from '@mfa/contracts';
import { Clock } from '../common/clock';
import type { Db } from '../common/db';
import { OrgPolicyRepository } from './org-policy.repository';

/** The part of an org's policy mfa-service acts on. */
export interface OrgMfaRules {
  version: number;
  requireMfa: boolean;
  allowedMethods: MfaMethod[];
}

/** No row yet: the contract's default policy (MFA not required, every method allowed). */
const contractDefault = defaultPolicy('');
export const DEFAULT_RULES: OrgMfaRules = { version: contractDefault.version, requireMfa: contractDefault.requireMfa, allowedMethods: contractDefault.allowedMethods };

@Injectable()
export class OrgPolicyService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly policies: OrgPolicyRepository,
    private readonly clock: Clock,
  ) {}

  async rulesOf(db: Db, orgId: string): Promise<OrgMfaRules> {
    const row = await this.policies.find(db, orgId);
    return row ? { version: row.version, requireMfa: row.require_mfa, allowedMethods: row.allowed_methods } : DEFAULT_RULES;
  }

  /** Idempotent by version: an older or equal version changes nothing. Accepted when stored. */
  /** `method_not_allowed` unless the org's policy allows this device type. */
  async assertAllows(orgId: string, method: { type: MfaMethod; label: string }): Promise<void> {
    const { allowedMethods } = await this.rulesOf(this.dataSource, orgId);
    if (!allowedMethods.includes(method.type)) throw new AppError(ErrorCodes.MethodNotAllowed, `the organization does not allow ${method.label} devices`);
  }

  async apply(policy: Pick<MfaPolicy, 'orgId' | 'version' | 'requireMfa' | 'allowedMethods'>): Promise<{ accepted: boolean; version: number }> {
    const stored = await this.policies.apply(policy, this.clock.now());
    return { accepted: stored === policy.version, version: stored };
  }
}
