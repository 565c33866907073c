import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Periodic } from '@mfa/bus';
import { OutboxRepository } from './outbox.repository';
import { PolicyHandoverService } from './policy-handover.service';
import { toPolicy } from './policy.mapper';
import { POLICY_OPTIONS, type PolicyOptions } from './policy.options';
import { PolicyRepository } from './policy.repository';

/**
 * Every OUTBOX_RELAY_INTERVAL_MS: deliver outbox rows that are due, then re-hand-over rollouts
 * that went silent (ROLLOUT_STALE_SECONDS). The second is what finishes a rollout after Redis
 * lost its data or account-service crashed: the hand-over is idempotent and the walk resumes
 * from Postgres. Safe with several instances (rows and rollouts are claimed with SKIP LOCKED).
 *
 * A local timer (Periodic), not a BullMQ job scheduler: this relay is what recovers from Redis
 * losing its data, and a scheduler lives in Redis (a FLUSHDB would stop it until the next boot);
 * its period (2 s by default, 200 ms in tests) also bounds how soon a PUT queued while
 * account-service was down takes effect.
 */
@Injectable()
export class PolicyRelayService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(PolicyRelayService.name);
  private readonly periodic: Periodic<void>;

  constructor(
    private readonly outbox: OutboxRepository,
    private readonly rollouts: PolicyRepository,
    private readonly handover: PolicyHandoverService,
    @Inject(POLICY_OPTIONS) private readonly options: PolicyOptions,
  ) {
    this.periodic = new Periodic('relay pass', options.relayIntervalMs, () => this.tick(), this.logger);
  }

  onApplicationBootstrap(): void {
    this.periodic.start();
  }

  onModuleDestroy(): Promise<void> {
    return this.periodic.stop();
  }

  /** One pass: due outbox rows, then rollouts gone silent. */
  async tick(): Promise<void> {
    const due = await this.outbox.claimDue(50, this.handover.leaseSeconds());
    await this.handover.deliver(due);
    // side by side, as deliver() does: one silent account-service must not hold the others for a timeout each
    const stale = await this.rollouts.claimStale(this.options.staleSeconds);
    await Promise.all(
      stale.map((s) => {
        this.logger.log(`rollout ${s.rollout.id} (org ${s.rollout.org_id} v${s.rollout.policy_version}) is silent: handing it over again`);
        return this.handover
          .handOver({ policy: toPolicy(s.policy), rolloutId: s.rollout.id, toMfa: s.latest })
          .catch((err: Error) => this.logger.warn(`re-hand-over of rollout ${s.rollout.id} failed: ${err.message}`));
      }),
    );
  }
}
