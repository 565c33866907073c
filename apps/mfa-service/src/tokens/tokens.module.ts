import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { DevicesModule } from '../devices/devices.module';
import { EventsModule } from '../events/events.module';
import { SessionRevocationRepository } from './session-revocation.repository';
import { SessionRevocations } from './session-revocations';
import { StepUp } from './step-up';

/**
 * Which session tokens still count: step-up checks and revocations. Apart from sessions/ (which
 * issues tokens and needs verification/) because verification, recovery and the device
 * lifecycle all need these.
 */
@Module({
  imports: [AccountsModule, DevicesModule, EventsModule],
  providers: [SessionRevocationRepository, SessionRevocations, StepUp],
  exports: [SessionRevocations, StepUp],
})
export class TokensModule {}
