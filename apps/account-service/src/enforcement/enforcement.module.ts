import { Module } from '@nestjs/common';
import { InternalKey } from '@mfa/crypto';
import { AccountServiceEnv } from '../config/account-service.env';
import { AccountEnforcementRepository } from './account-enforcement.repository';
import { AuthorizeService } from './authorize.service';
import { EnforcementBusController } from './enforcement.bus-controller';
import { ENFORCEMENT_OPTIONS, enforcementOptionsFromEnv } from './enforcement.options';
import { EnforcementWorkers } from './enforcement-workers';
import { MemberEnforcementRepository } from './member-enforcement.repository';
import { MemberEnforcementService } from './member-enforcement.service';
import { MemberHistoryRepository } from './member-history.repository';
import { MemberHistoryService } from './member-history.service';
import { NotificationOutboxRepository } from './notification-outbox.repository';
import { NOTIFIER, OutboxNotifier } from './notifier';
import { OrgPolicyRepository } from './org-policy.repository';
import { OrgPolicyService } from './org-policy.service';
import { RolloutMaterializerRepository, SnapshotRefreshRepository } from './rollout-materializer.repository';
import { GroupPolicyRepository } from './group-policy.repository';
import { GroupPolicyService } from './group-policy.service';
import { RolloutMaterializerService } from './rollout-materializer.service';
import { SessionRevocationRepository } from './session-revocation.repository';
import { SessionRevocationsService } from './session-revocations.service';
import { SessionTokenVerifier } from './session-token.verifier';
import { EnforcementMetrics } from './enforcement-metrics';
import { EnforcementStatsRepository } from './enforcement-stats.repository';

/**
 * Org policies, computed enforcement, member history, rollouts, device events, notifications, exemptions and
 * accounts.authorize. Exports MemberEnforcementService for the member patterns (accounts/).
 */
@Module({
  controllers: [EnforcementBusController],
  providers: [
    EnforcementStatsRepository,
    EnforcementMetrics,
    {
      provide: ENFORCEMENT_OPTIONS,
      inject: [AccountServiceEnv, InternalKey],
      useFactory: enforcementOptionsFromEnv,
    },
    NotificationOutboxRepository,
    { provide: NOTIFIER, useClass: OutboxNotifier },
    EnforcementWorkers,
    OrgPolicyRepository,
    OrgPolicyService,
    AccountEnforcementRepository,
    MemberEnforcementRepository,
    MemberEnforcementService,
    MemberHistoryRepository,
    MemberHistoryService,
    RolloutMaterializerRepository,
    RolloutMaterializerService,
    SnapshotRefreshRepository,
    GroupPolicyRepository,
    GroupPolicyService,
    SessionTokenVerifier,
    AuthorizeService,
    SessionRevocationRepository,
    SessionRevocationsService,
  ],
  exports: [MemberEnforcementService, OrgPolicyService, GroupPolicyRepository, GroupPolicyService, SnapshotRefreshRepository],
})
export class EnforcementModule {}
