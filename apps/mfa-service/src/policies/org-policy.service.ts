import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppError, ErrorCodes, type MfaCondition, type MfaMethod, MfaMethods, type MfaPolicy, SecureMfaMethods } from '@mfa/contracts';
import { Clock } from '../common/clock';
import type { Db } from '../common/db';
import { ActiveDeviceCache } from '../devices/active-device-cache';
import { OrgPolicyRepository } from './org-policy.repository';

/** The part of an org's policy mfa-service acts on. */
export interface OrgMfaRules {
  version: number;
  requireMfa: boolean;
  allowedMethods: MfaMethod[];
  /** SMS may not be enrolled, and does not count as the last secure device */
  secureMethodsOnly: boolean;
}

/**
 * No row yet: MFA not required and no method refused. The org has chosen nothing; the policy it
 * shows (totp and sms, docs/admin-api.md) restricts only once an admin PUTs one.
 */
export const DEFAULT_RULES: OrgMfaRules = { version: 0, requireMfa: false, allowedMethods: [...MfaMethods], secureMethodsOnly: false };

/** `method_not_allowed` unless the rules allow this device type: active devices and new ones alike. */
function assertAllowedBy(rules: OrgMfaRules, method: { type: MfaMethod; label: string }): void {
  if (!rules.allowedMethods.includes(method.type))
    throw new AppError(ErrorCodes.MethodNotAllowed, `the organization does not allow ${method.label} devices`);
}

@Injectable()
export class OrgPolicyService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly policies: OrgPolicyRepository,
    private readonly clock: Clock,
    private readonly cache: ActiveDeviceCache,
  ) {}

  async rulesOf(db: Db, orgId: string): Promise<OrgMfaRules> {
    const row = await this.policies.find(db, orgId);
    return row
      ? {
          version: row.version,
          requireMfa: row.require_mfa,
          allowedMethods: row.allowed_methods,
          secureMethodsOnly: row.secure_methods_only,
        }
      : DEFAULT_RULES;
  }

  /** `method_not_allowed` unless the org's policy allows this device type. */
  async assertAllows(orgId: string, method: { type: MfaMethod; label: string }): Promise<void> {
    assertAllowedBy(await this.rulesOf(this.dataSource, orgId), method);
  }

  /**
   * For a new device (create, and enabling a pending one): allowed, and not SMS under
   * secureMethodsOnly. Devices already active keep working (assertAllows alone).
   */
  async assertEnrollable(orgId: string, method: { type: MfaMethod; label: string }): Promise<void> {
    const rules = await this.rulesOf(this.dataSource, orgId);
    assertAllowedBy(rules, method);
    if (rules.secureMethodsOnly && !SecureMfaMethods.includes(method.type))
      throw new AppError(
        ErrorCodes.MethodNotAllowed,
        `the organization's policy requires secure methods only (secureMethodsOnly): ${method.label} devices cannot be enrolled`,
      );
  }

  /** The org's per-action conditions (mfa.devices.diagnose with an action); accounts.authorize applies its own copy. */
  conditionsOf(orgId: string): Promise<MfaCondition[]> {
    return this.policies.conditions(orgId);
  }

  /** Idempotent by version: an older or equal version changes nothing. Accepted when stored. */
  async apply(
    policy: Pick<MfaPolicy, 'orgId' | 'version' | 'requireMfa' | 'allowedMethods' | 'secureMethodsOnly' | 'conditions'>,
  ): Promise<{ accepted: boolean; version: number }> {
    // a hand-over from before the fields existed: secureMethodsOnly false and no conditions, as that policy meant
    const stored = await this.policies.apply(
      {
        orgId: policy.orgId,
        version: policy.version,
        requireMfa: policy.requireMfa,
        allowedMethods: policy.allowedMethods,
        secureMethodsOnly: policy.secureMethodsOnly ?? false,
        conditions: (policy.conditions ?? []).map((c) => ({ actions: c.actions, maxMfaAgeSeconds: c.maxMfaAgeSeconds })),
      },
      this.clock.now(),
    );
    // this instance's verify reads the new allowed methods at once; the others within ORG_METHODS_TTL_MS
    if (stored === policy.version) this.cache.forgetOrg(policy.orgId);
    return { accepted: stored === policy.version, version: stored };
  }
}
