import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Bus, BusModule, CALLER_DIRECTORY, resolvingCallerDirectory } from '@mfa/bus';
import { InternalKey } from '@mfa/crypto';
import { InternalPatterns, isUuid } from '@mfa/contracts';
import { ConfigModule } from '@mfa/config';
import { HealthModule, MetricsModule } from '@mfa/observability';
import { AccountDirectory } from './accounts/account-directory';
import { Clock, SystemClock } from './common/clock';
import { KeyMaterial } from './common/key-material';
import { MfaServiceEnv } from './config/mfa-service.env';
import { dataSourceOptions } from './database/data-source';
import { DeviceChanges } from './devices/device-changes';
import { DeviceEnrollmentService } from './devices/device-enrollment.service';
import { DeviceSummaryRepository } from './devices/device-summary.repository';
import { DeviceRepository } from './devices/device.repository';
import { DevicesController } from './devices/devices.controller';
import { DevicesService } from './devices/devices.service';
import { PendingDeviceSweeper } from './devices/pending-device-sweeper';
import { EventRelay } from './events/event-relay';
import { MfaEvents } from './events/mfa-events';
import { InternalController } from './internal/internal.controller';
import { RateLimiter } from './limits/rate-limiter';
import { OrgPolicyRepository } from './policies/org-policy.repository';
import { OrgPolicyService } from './policies/org-policy.service';
import { RecoveryCodeRepository } from './recovery/recovery-code.repository';
import { RecoveryCodesController } from './recovery/recovery-codes.controller';
import { RecoveryCodesService } from './recovery/recovery-codes.service';
import { SessionRevocationRepository } from './sessions/session-revocation.repository';
import { SessionRevocations } from './sessions/session-revocations';
import { SessionService } from './sessions/session.service';
import { StepUp } from './sessions/step-up';
import { SessionsController } from './sessions/sessions.controller';
import { SmsLedgerRepository } from './sms/sms-ledger.repository';
import { SmsOutboxRepository, SmsOutboxSweeper } from './sms/sms-outbox';
import { OutboxSmsSender, SmsSender } from './sms/sms-sender';
import { WebhookSmsSender } from './sms/webhook-sms-sender';
import { SmsController } from './sms/sms.controller';
import { SmsService } from './sms/sms.service';
import { AccountFailureRepository } from './verification/account-failure.repository';
import { LockoutService } from './verification/lockout.service';
import { VerificationController } from './verification/verification.controller';
import { VerificationRepository } from './verification/verification.repository';
import { VerificationService } from './verification/verification.service';
import { VerifyMetrics } from './verification/verify-metrics';
import { VerifyState } from './verification/verify-state';

export interface MfaServiceModuleOptions {
  /** tests move time with a FixedClock instead of sleeping */
  clock?: Clock;
  /** another SMS gateway; default: SMS_SENDER (outbox or webhook) */
  smsSender?: Provider<SmsSender>;
}

const SMS_SENDERS = { outbox: OutboxSmsSender, webhook: WebhookSmsSender } as const;

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
        MetricsModule.forRoot('mfa-service'),
        HealthModule.forRoot(env.REDIS_URL),
      ],
      controllers: [DevicesController, SmsController, RecoveryCodesController, VerificationController, SessionsController, InternalController],
      providers: [
        options.clock ? { provide: Clock, useValue: options.clock } : { provide: Clock, useClass: SystemClock },
        { provide: KeyMaterial, useFactory: () => KeyMaterial.fromEnv(env) },
        // the bus gate learns member services' keys and accounts' orgs from account-service
        {
          provide: CALLER_DIRECTORY,
          inject: [Bus, InternalKey, DeviceRepository],
          useFactory: (bus: Bus, internalKey: InternalKey, devices: DeviceRepository) =>
            // an account with a device here has its org in mfa.devices: no round trip to account-service
            resolvingCallerDirectory((r) => bus.send(InternalPatterns.AccountsCallersResolve, r), internalKey, (ids) => devices.orgsOf(ids.filter(isUuid))),
        },
        options.smsSender ?? { provide: SmsSender, useClass: SMS_SENDERS[env.SMS_SENDER] },
        AccountDirectory,
        DeviceRepository,
        DeviceSummaryRepository,
        VerificationRepository,
        AccountFailureRepository,
        RecoveryCodeRepository,
        OrgPolicyRepository,
        EventRelay,
        MfaEvents,
        DeviceChanges,
        OrgPolicyService,
        VerifyState,
        RateLimiter,
        LockoutService,
        SmsService,
        SmsOutboxRepository,
        SmsLedgerRepository,
        SmsOutboxSweeper,
        RecoveryCodesService,
        VerifyMetrics,
        VerificationService,
        DeviceEnrollmentService,
        DevicesService,
        PendingDeviceSweeper,
        SessionService,
        SessionRevocationRepository,
        SessionRevocations,
        StepUp,
      ],
      exports: [Clock, EventRelay],
    };
  }
}
