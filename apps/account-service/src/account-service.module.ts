import { type DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BusModule, JobsModule } from '@mfa/bus';
import { Apps, Queues } from '@mfa/contracts';
import { ConfigModule } from '@mfa/config';
import { HealthModule, MetricsModule } from '@mfa/observability';
import { AccountsModule } from './accounts/accounts.module';
import { ClockModule, type Clock } from '@mfa/clock';
import { ComplianceModule } from './compliance/compliance.module';
import { AccountServiceEnv } from './config/account-service.env';
import { dataSourceOptions } from './database/data-source';
import { EnforcementModule } from './enforcement/enforcement.module';
import { GroupsModule } from './groups/groups.module';
import { ServiceKeysModule } from './service-keys/service-keys.module';

/** Feature modules of account-service; add new ones here (one line each). */
export const ACCOUNT_FEATURE_MODULES = [AccountsModule, ComplianceModule, EnforcementModule, GroupsModule, ServiceKeysModule];

/** account-service's root module, built from an already validated env (main.ts or a test). */
@Module({})
export class AccountServiceModule {
  static forRoot(env: AccountServiceEnv, options: { clock?: Clock } = {}): DynamicModule {
    return {
      module: AccountServiceModule,
      imports: [
        ConfigModule.forRoot(AccountServiceEnv, env),
        // the one "now" of the service (members, authorize, history, compliance, preview)
        ClockModule.forRoot(options.clock),
        TypeOrmModule.forRoot(dataSourceOptions(env.DATABASE_URL)),
        // a client too: account-service calls mfa-service (device facts) and itself in tests
        BusModule.forPlatform('account-service', env),
        JobsModule.forApp({
          app: Apps.Account,
          redisUrl: env.REDIS_URL,
          workers: {
            [Queues.PolicyRollouts]: { concurrency: env.ROLLOUT_CONCURRENCY },
            [Queues.DeviceEvents]: { concurrency: 8 },
            [Queues.Notifications]: { concurrency: 2 },
            [Queues.Compliance]: { concurrency: 2 },
          },
        }),
        MetricsModule.forRoot('account-service'),
        HealthModule.forRoot(env.REDIS_URL),
        ...ACCOUNT_FEATURE_MODULES,
      ],
    };
  }
}
