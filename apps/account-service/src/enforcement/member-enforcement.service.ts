import { Injectable } from '@nestjs/common';
import { Clock } from '@mfa/clock';
import {
  AppError,
  type AccountDeviceResetRequest,
  type Member,
  type MemberRef,
  type MemberStats,
  type SetExemptionRequest,
} from '@mfa/contracts';
import { toMember, zeroByState } from '../accounts/member.mapper';
import type { AccountEntity } from '../database/entities/account.entity';
import { AccountEnforcementRepository } from './account-enforcement.repository';
import { newMemberFacts } from './compute-enforcement';
import { effectiveEnforcement } from './effective-enforcement';
import { MemberEnforcementRepository, type MemberPageQuery } from './member-enforcement.repository';
import { OrgPolicyRepository } from './org-policy.repository';

/**
 * Members with their enforcement computed from the org's CURRENT policy at the moment of the
 * request, and the admin actions that change an account's enforcement facts.
 */
@Injectable()
export class MemberEnforcementService {
  constructor(
    private readonly policies: OrgPolicyRepository,
    private readonly members: MemberEnforcementRepository,
    private readonly accounts: AccountEnforcementRepository,
    private readonly clock: Clock,
  ) {}

  /** A member just created: it is under the org's current policy from its first answer on. */
  async ofNewMember(row: AccountEntity, now = this.clock.now()): Promise<Member> {
    const policy = await this.policies.get(row.orgId);
    // a brand-new account is in no group yet
    return toMember(row, effectiveEnforcement(policy, [], newMemberFacts(new Date(row.createdAt)), now));
  }

  async find(accountId: string, orgId?: string, now = this.clock.now()): Promise<Member | null> {
    const row = await this.members.findOne(accountId, orgId);
    return row ? toMember(row.member, effectiveEnforcement(row.policy, row.groupPolicies, row.facts, now)) : null;
  }

  /** Up to `limit` members after the cursor's key (id order, or an email search), filtered by computed state when asked. */
  async page(orgId: string, q: MemberPageQuery, now = this.clock.now()): Promise<Member[]> {
    const policy = await this.policies.get(orgId);
    const rows = await this.members.page(orgId, policy, now, q);
    return rows.map((row) => toMember(row.member, effectiveEnforcement(policy, row.groupPolicies, row.facts, now)));
  }

  async stats(orgId: string, now = this.clock.now()): Promise<MemberStats> {
    const policy = await this.policies.get(orgId);
    const byState = zeroByState();
    let total = 0;
    for (const { state, n } of await this.members.countByState(orgId, policy, now)) {
      byState[state] = n;
      total += n;
    }
    return { total, byState };
  }

  /** Exemptions live on the account, not the policy: they outlive policy changes. */
  async setExemption(req: SetExemptionRequest): Promise<Member> {
    const until = new Date(req.until);
    const now = this.clock.now();
    if (!(until.getTime() > now.getTime()))
      throw AppError.validation('until: must be in the future', [{ field: 'until', messages: ['must be in the future'] }]);
    if (!(await this.accounts.setExemption(req.orgId, req.accountId, until, req.reason, now))) throw AppError.notFound('member');
    return this.require(req.accountId, req.orgId);
  }

  async removeExemption(ref: MemberRef): Promise<Member> {
    if (!(await this.accounts.setExemption(ref.orgId, ref.accountId, null, null, this.clock.now()))) throw AppError.notFound('member');
    return this.require(ref.accountId, ref.orgId);
  }

  /** After mfa-service reset a device: the new count, and a fresh grace period when none is left. */
  async deviceReset(req: AccountDeviceResetRequest): Promise<Member> {
    if (
      !(await this.accounts.applyDeviceReset(
        req.orgId,
        req.accountId,
        { active: req.activeDeviceCount, secure: req.secureActiveDeviceCount },
        new Date(req.at),
        req.serialNumber ?? null,
      ))
    )
      throw AppError.notFound('member');
    return this.require(req.accountId, req.orgId);
  }

  private async require(accountId: string, orgId: string): Promise<Member> {
    const member = await this.find(accountId, orgId);
    if (!member) throw AppError.notFound('member');
    return member;
  }
}
