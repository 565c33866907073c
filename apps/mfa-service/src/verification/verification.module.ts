import { Module } from '@nestjs/common';
import { BUS_PREFETCH, type Prefetcher } from '@mfa/bus';
import { Patterns } from '@mfa/contracts';
import { ActiveDeviceCache } from '../devices/active-device-cache';
import { DevicesModule } from '../devices/devices.module';
import { EventsModule } from '../events/events.module';
import { MethodsModule } from '../methods/methods.module';
import { RecoveryModule } from '../recovery/recovery.module';
import { TokensModule } from '../tokens/tokens.module';
import { AccountFailureRepository } from './account-failure.repository';
import { LockoutService } from './lockout.service';
import { VerificationController } from './verification.controller';
import { VerificationRepository } from './verification.repository';
import { VerificationService } from './verification.service';
import { VerifyMetrics } from './verify-metrics';
import { VerifyState } from './verify-state';

/** The verify hot path, lockouts and the live replay state the device methods accept codes against. */
@Module({
  imports: [DevicesModule, EventsModule, MethodsModule, RecoveryModule, TokensModule],
  controllers: [VerificationController],
  providers: [
    VerificationRepository,
    AccountFailureRepository,
    LockoutService,
    VerifyState,
    VerifyMetrics,
    VerificationService,
    // the bus gate starts a verify's device cache read with its replay check (docs/mfa.md "Hot path")
    {
      provide: BUS_PREFETCH,
      inject: [ActiveDeviceCache],
      useFactory: (cache: ActiveDeviceCache) =>
        new Map<string, Prefetcher>([[Patterns.MfaVerify, (data, redis) => cache.prefetch(data, redis)]]),
    },
  ],
  exports: [VerificationRepository, LockoutService, VerifyState, VerificationService],
})
export class VerificationModule {}
