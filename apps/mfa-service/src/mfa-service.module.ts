import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BusModule, JobsModule } from '@mfa/bus';
import { Apps, Queues } from '@mfa/contracts';
import { ConfigModule } from '@mfa/config';
import { HealthModule, MetricsModule } from '@mfa/observability';
import { AccountsModule } from './accounts/accounts.module';
import type { Clock } from './common/clock';
import { CommonModule } from './common/common.module';
import { MfaServiceEnv } from './config/mfa-service.env';
import { dataSourceOptions } from './database/data-source';
import { DevicesModule } from './devices/devices.module';
import { DiagnoseModule } from './diagnose/diagnose.module';
import { EnrollmentLinksModule } from './enrollment-links/enrollment-links.module';
import { EventsModule } from './events/events.module';
import { InternalModule } from './internal/internal.module';
import { LifecycleModule } from './lifecycle/lifecycle.module';
import { LimitsModule } from './limits/limits.module';
import { MethodsModule } from './methods/methods.module';
import { SmsMethodModule } from './methods/sms/sms.module';
import { WebAuthnModule } from './methods/webauthn/webauthn.module';
import { TotpModule } from './methods/totp/totp.module';
import { PoliciesModule } from './policies/policies.module';
import { RecoveryModule } from './recovery/recovery.module';
import { SessionsModule } from './sessions/sessions.module';
import { SmsDeliveryModule } from './sms/sms-delivery.module';
import type { SmsSender } from './sms/sms-sender';
import { TokensModule } from './tokens/tokens.module';
import { VerificationModule } from './verification/verification.module';

export interface MfaServiceModuleOptions {
  /** tests move time with a FixedClock instead of sleeping */
  clock?: Clock;
  /** another SMS gateway; default: SMS_SENDER (outbox or webhook) */
  smsSender?: Provider<SmsSender>;
}

/** Feature modules of mfa-service; add new ones here (one line each). */
export const MFA_FEATURE_MODULES = [
  AccountsModule,
  DevicesModule,
  EventsModule,
  InternalModule,
  LifecycleModule,
  LimitsModule,
  MethodsModule,
  EnrollmentLinksModule,
  PoliciesModule,
  RecoveryModule,
  SessionsModule,
  TokensModule,
  VerificationModule,
  DiagnoseModule,
];

/** The device methods (methods/<type>/): MethodRegistry checks at boot that they cover MfaMethods. */
export const MFA_METHOD_MODULES = [TotpModule, SmsMethodModule, WebAuthnModule];

/** mfa-service's root module, built from an already validated env (main.ts or a test). */
@Module({})
export class MfaServiceModule {
  static forRoot(env: MfaServiceEnv, options: MfaServiceModuleOptions = {}): DynamicModule {
    return {
      module: MfaServiceModule,
      imports: [
        ConfigModule.forRoot(MfaServiceEnv, env),
        TypeOrmModule.forRoot(dataSourceOptions(env.DATABASE_URL, env.MFA_DB_POOL_SIZE)),
        BusModule.forPlatform('mfa-service', env),
        JobsModule.forApp({ app: Apps.Mfa, redisUrl: env.REDIS_URL, workers: { [Queues.SmsDelivery]: { concurrency: 20 } } }),
        MetricsModule.forRoot('mfa-service'),
        HealthModule.forRoot(env.REDIS_URL),
        CommonModule.forRoot(env, options.clock),
        SmsDeliveryModule.forRoot(env, options.smsSender),
        ...MFA_FEATURE_MODULES,
        ...MFA_METHOD_MODULES,
      ],
    };
  }
}
