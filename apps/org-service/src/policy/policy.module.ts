import { Module } from '@nestjs/common';
import { InternalKey } from '@mfa/crypto';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { OrgServiceEnv } from '../config/org-service.env';
import { MemberAdminController } from './member-admin.controller';
import { MemberAdminService } from './member-admin.service';
import { OutboxRepository } from './outbox.repository';
import { PolicyController } from './policy.controller';
import { PolicyHandoverService } from './policy-handover.service';
import { PolicyJobs } from './policy-queues';
import { PolicyRelayService } from './policy-relay.service';
import { POLICY_OPTIONS, type PolicyOptions } from './policy.options';
import { PolicyRepository } from './policy.repository';
import { PolicyService } from './policy.service';
import { PolicyPreviewService } from './policy-preview.service';
import { RolloutMetrics } from './rollout-metrics';
import { RolloutStatsRepository } from './rollout-stats.repository';

/** MFA policy versions, rollouts, the outbox and its relay, and per-member admin actions. */
@Module({
  imports: [ApiKeysModule],
  controllers: [PolicyController, MemberAdminController],
  providers: [
    RolloutStatsRepository,
    RolloutMetrics,
    {
      provide: POLICY_OPTIONS,
      inject: [OrgServiceEnv, InternalKey],
      useFactory: (env: OrgServiceEnv, internalKey: InternalKey): PolicyOptions => {
        return {
          redisUrl: env.REDIS_URL,
          internalKey,
          relayIntervalMs: env.OUTBOX_RELAY_INTERVAL_MS,
          staleSeconds: env.ROLLOUT_STALE_SECONDS,
          handoverTimeoutMs: env.POLICY_HANDOVER_TIMEOUT_MS,
        };
      },
    },
    PolicyRepository,
    PolicyPreviewService,
    OutboxRepository,
    PolicyJobs,
    PolicyHandoverService,
    PolicyRelayService,
    PolicyService,
    MemberAdminService,
  ],
  exports: [PolicyService],
})
export class PolicyModule {}
