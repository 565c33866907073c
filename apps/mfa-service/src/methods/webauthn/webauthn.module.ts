import { Module } from '@nestjs/common';
import { AccountsModule } from '../../accounts/accounts.module';
import { DevicesModule } from '../../devices/devices.module';
import { EventsModule } from '../../events/events.module';
import { WebAuthnChallenges } from './webauthn-challenges';
import { WebAuthnCredentialRepository } from './webauthn-credential.repository';
import { WebAuthnController } from './webauthn.controller';
import { WebAuthnMethod } from './webauthn.method';

/** The WebAuthn device method (passkeys, security keys) and mfa.challenges.create. */
@Module({
  imports: [AccountsModule, DevicesModule, EventsModule],
  controllers: [WebAuthnController],
  providers: [WebAuthnMethod, WebAuthnChallenges, WebAuthnCredentialRepository],
})
export class WebAuthnModule {}
