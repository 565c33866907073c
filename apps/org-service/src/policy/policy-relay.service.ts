import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
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
 */
@Injectable()
export class PolicyRelayService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(PolicyRelayService.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly outbox: OutboxRepository,
    private readonly rollouts: PolicyRepository,
    private readonly handover: PolicyHandoverService,
    @Inject(POLICY_OPTIONS) private readonly options: PolicyOptions,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
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

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick()
        .catch((err: Error) => this.logger.warn(`relay pass failed: ${err.message}`))
        .finally(() => {
          this.running = undefined;
          this.schedule();
        });
    }, this.options.relayIntervalMs);
    this.timer.unref();
  }
}
