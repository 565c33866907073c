import { type DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BusModule, JobsModule } from '@mfa/bus';
import { Apps } from '@mfa/contracts';
import { ConfigModule } from '@mfa/config';
import { HealthModule, MetricsModule } from '@mfa/observability';
import { ApiKeysModule } from './api-keys/api-keys.module';
import { ClockModule, type Clock } from '@mfa/clock';
import { AuditModule } from './audit/audit.module';
import { ComplianceModule } from './compliance/compliance.module';
import { OrgServiceEnv } from './config/org-service.env';
import { dataSourceOptions } from './database/data-source';
import { MembersModule } from './members/members.module';
import { OrgsModule } from './orgs/orgs.module';
import { PolicyModule } from './policy/policy.module';
import { GroupsModule } from './groups/groups.module';
import { QueueBoardModule } from './queue-board/queue-board.module';
import { ServiceKeysModule } from './service-keys/service-keys.module';

/** Feature modules of the admin API; add new ones here (one line each). */
export const ORG_FEATURE_MODULES = [
  ApiKeysModule,
  OrgsModule,
  MembersModule,
  AuditModule,
  ComplianceModule,
  PolicyModule,
  GroupsModule,
  ServiceKeysModule,
];

/** org-service's root module, built from an already validated env (main.ts or a test). */
@Module({})
export class OrgServiceModule {
  static forRoot(env: OrgServiceEnv, options: { clock?: Clock } = {}): DynamicModule {
    return {
      module: OrgServiceModule,
      imports: [
        ConfigModule.forRoot(OrgServiceEnv, env),
        // the time of admin actions on members (device reset, exemption checks)
        ClockModule.forRoot(options.clock),
        TypeOrmModule.forRoot(dataSourceOptions(env.DATABASE_URL)),
        BusModule.forPlatform('org-service', env),
        JobsModule.forApp({
          app: Apps.Org,
          redisUrl: env.REDIS_URL,
          workers: { 'rollout-progress': { concurrency: 4 }, 'audit-events': { concurrency: 16 } },
        }),
        MetricsModule.forRoot('org-service'),
        HealthModule.forRoot(env.REDIS_URL),
        ...ORG_FEATURE_MODULES,
        // Bull Board for operators (platform key, read-only): not an admin API feature, no OpenAPI
        QueueBoardModule,
      ],
    };
  }
}
