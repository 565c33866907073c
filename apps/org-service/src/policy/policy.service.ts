import { currentTraceparent } from '@mfa/bus';
import { Injectable } from '@nestjs/common';
import { Bus } from '@mfa/bus';
import { AppError, defaultPolicy, ErrorCodes, InternalPatterns, type MfaPolicy, type PolicyRollout, isUuid } from '@mfa/contracts';
import { actorOf, AuditService } from '../audit/audit.service';
import type { Principal } from '../auth/principal';
import type { PutPolicyDto } from './dto/policy.dto';
import { OutboxRepository } from './outbox.repository';
import { OutboxKinds, type HandoverPayload, PolicyHandoverService } from './policy-handover.service';
import { toPolicy, toRollout } from './policy.mapper';
import { PolicyRepository } from './policy.repository';

/** Versioned org MFA policies and their rollouts. */
@Injectable()
export class PolicyService {
  constructor(
    private readonly policies: PolicyRepository,
    private readonly outbox: OutboxRepository,
    private readonly handover: PolicyHandoverService,
    private readonly audit: AuditService,
    private readonly bus: Bus,
  ) {}

  /**
   * One transaction writes version + 1, its `queued` rollout, the hand-over (an outbox row) and
   * the audit event. Then, before answering, the hand-over is tried at once; if it fails the
   * answer is still 202 and the relay delivers it.
   */
  async put(orgId: string, input: PutPolicyDto, principal: Principal): Promise<{ policy: MfaPolicy; rollout: PolicyRollout }> {
    await this.check(orgId, null, input);
    return this.write(orgId, null, input, principal);
  }

  /**
   * A group's policy: the org's machinery with a group dimension (its own versions, a rollout over
   * its members only, the same outbox and relay), after account-service said the group is the
   * org's and that no member would be left with no allowed method.
   */
  async putGroup(
    orgId: string,
    groupId: string,
    input: PutPolicyDto,
    principal: Principal,
  ): Promise<{ policy: MfaPolicy; rollout: PolicyRollout }> {
    await this.check(orgId, groupId, input);
    return this.write(orgId, groupId, input, principal);
  }

  /**
   * What a PUT checks before it writes, also asked by the preview (the same refusals, the same
   * errors): a group must be the org's (not_found otherwise), and no member may be left with no
   * allowed method (validation_failed).
   */
  async check(orgId: string, groupId: string | null, input: Pick<PutPolicyDto, 'allowedMethods'>): Promise<void> {
    if (groupId) await this.bus.send(InternalPatterns.AccountsGroupsGet, { orgId, groupId });
    await this.checkMethods(orgId, groupId, input);
  }

  /**
   * The empty-intersection refusal (validation_failed). For the org's own PUT, an account-service
   * that does not answer does not block it (the PUT still works while it is down, as before
   * groups); a group's PUT needs it anyway (the group check above).
   */
  private async checkMethods(orgId: string, groupId: string | null, input: Pick<PutPolicyDto, 'allowedMethods'>): Promise<void> {
    try {
      await this.bus.send(InternalPatterns.AccountsPolicyMethodsCheck, {
        orgId,
        ...(groupId ? { groupId } : {}),
        allowedMethods: input.allowedMethods,
      });
    } catch (err) {
      const transport =
        err instanceof AppError &&
        (err.code === ErrorCodes.Timeout || err.code === ErrorCodes.Unavailable || err.code === ErrorCodes.UnknownPattern);
      if (groupId || !transport) throw err;
    }
  }

  private async write(
    orgId: string,
    groupId: string | null,
    input: PutPolicyDto,
    principal: Principal,
  ): Promise<{ policy: MfaPolicy; rollout: PolicyRollout }> {
    const actor = actorOf(principal);
    const { policy, rows } = await this.policies.transaction(async (tx) => {
      const created = await this.policies.insertNextVersion(tx, orgId, input, actor.id, groupId);
      const wire = toPolicy(created.policy);
      // the request's span, so a hand-over the relay delivers later still joins this trace
      const payload: HandoverPayload = { policy: wire, rolloutId: created.rollout.id, traceparent: currentTraceparent() };
      const handoverRow = await this.outbox.insert(tx, OutboxKinds.PolicyHandover, payload, this.handover.leaseSeconds());
      await this.audit.record(tx, {
        orgId,
        actor,
        action: groupId ? 'group.policy_updated' : 'policy.updated',
        target: groupId ? { type: 'group', id: groupId } : { type: 'mfa_policy', id: orgId },
        details: {
          version: wire.version,
          requireMfa: wire.requireMfa,
          gracePeriodHours: wire.gracePeriodHours,
          allowedMethods: wire.allowedMethods,
          maxMfaAgeSeconds: wire.maxMfaAgeSeconds,
          secureMethodsOnly: wire.secureMethodsOnly,
          conditions: wire.conditions,
          rolloutId: created.rollout.id,
        },
      });
      return { policy: wire, rows: [handoverRow] };
    });
    await this.handover.deliver(rows);
    const rollout = await this.policies.rollout(orgId, (rows[0].payload as HandoverPayload).rolloutId);
    return { policy, rollout: toRollout(rollout!) };
  }

  /** Version 0 (MFA off) before the first PUT. */
  async get(orgId: string): Promise<MfaPolicy> {
    const row = await this.policies.latest(orgId);
    return row ? toPolicy(row) : defaultPolicy(orgId);
  }

  async rollout(orgId: string, rolloutId: string): Promise<PolicyRollout> {
    const row = isUuid(rolloutId) ? await this.policies.rollout(orgId, rolloutId) : null;
    if (!row) throw AppError.notFound('rollout');
    return toRollout(row);
  }
}
