import { Inject, Injectable, Logger } from '@nestjs/common';
import { context, trace } from '@opentelemetry/api';
import { Bus, parentContext, Tracing } from '@mfa/bus';
import { InternalPatterns, type MfaPolicy } from '@mfa/contracts';
import { type OutboxRow, OutboxRepository } from './outbox.repository';
import { POLICY_OPTIONS, type PolicyOptions } from './policy.options';
import { PolicyRepository } from './policy.repository';

/** Outbox kinds (stored in org.outbox.kind: keep them stable). */
export const OutboxKinds = { PolicyHandover: 'policy.handover' } as const;

export interface HandoverPayload {
  policy: MfaPolicy;
  rolloutId: string;
  /** false for a superseded version being finished by reconciliation: mfa-service keeps the newer one */
  toMfa?: boolean;
  /** the PUT's span (tracing on): a delivery by the relay joins its trace */
  traceparent?: string;
}

/**
 * Hands a policy version to account-service and mfa-service (both idempotent by version) and
 * delivers outbox rows. Used right after the PUT commits, by the relay, and by reconciliation.
 */
@Injectable()
export class PolicyHandoverService {
  private readonly logger = new Logger(PolicyHandoverService.name);

  constructor(
    private readonly bus: Bus,
    private readonly outbox: OutboxRepository,
    private readonly rollouts: PolicyRepository,
    @Inject(POLICY_OPTIONS) private readonly options: PolicyOptions,
  ) {}

  /** Both services ack, then the rollout is `running` with account-service's member count. */
  async handOver(p: HandoverPayload): Promise<void> {
    const timeoutMs = this.options.handoverTimeoutMs;
    const groupId = p.policy.groupId;
    if (groupId) {
      // a group's policy: account-service only (mfa-service knows org policies only: docs/enforcement.md, "Groups")
      const accounts = await this.bus.send(
        InternalPatterns.AccountsGroupPolicyApply,
        { policy: { ...p.policy, groupId }, rolloutId: p.rolloutId },
        { timeoutMs },
      );
      await this.rollouts.markHandedOver(p.rolloutId, accounts.total);
      return;
    }
    const [accounts] = await Promise.all([
      this.bus.send(InternalPatterns.AccountsPolicyApply, { policy: p.policy, rolloutId: p.rolloutId }, { timeoutMs }),
      p.toMfa === false ? null : this.bus.send(InternalPatterns.MfaPolicyApply, { policy: p.policy }, { timeoutMs }),
    ]);
    await this.rollouts.markHandedOver(p.rolloutId, accounts.total);
  }

  /** Delivers outbox rows now; a failure is left to the relay (the caller still succeeds). */
  async deliver(rows: OutboxRow[]): Promise<void> {
    await Promise.all(rows.map((row) => this.deliverOne(row)));
  }

  leaseSeconds(): number {
    return Math.ceil(this.options.handoverTimeoutMs / 1000) + 5;
  }

  private async deliverOne(row: OutboxRow): Promise<boolean> {
    try {
      if (row.kind === OutboxKinds.PolicyHandover) {
        const payload = row.payload as HandoverPayload;
        // the relay runs outside any request: its calls join the PUT's trace (the request's own delivery already is in it)
        const inTrace = Tracing.enabled && !trace.getActiveSpan() && payload.traceparent;
        await (inTrace ? context.with(parentContext(payload.traceparent), () => this.handOver(payload)) : this.handOver(payload));
      } else throw new Error(`unknown outbox kind ${row.kind}`);
      await this.outbox.markDelivered(row.id);
      return true;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.logger.warn(`outbox ${row.kind} #${row.id} not delivered (attempt ${row.attempts}): ${message}`);
      // back off, but never longer than a minute: the relay keeps trying until it acks
      const retry = Math.min(60, Math.max(1, this.options.relayIntervalMs / 1000) * 2 ** Math.min(row.attempts, 6));
      await this.outbox.release(row.id, message, row.attempts === 0 ? 0 : retry).catch(() => undefined);
      return false;
    }
  }
}
