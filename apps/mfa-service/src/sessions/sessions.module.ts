import { Module } from '@nestjs/common';
import { EventsModule } from '../events/events.module';
import { TokensModule } from '../tokens/tokens.module';
import { VerificationModule } from '../verification/verification.module';
import { SessionService } from './session.service';
import { SessionsController } from './sessions.controller';

/** MFA session tokens: issued on a verified code, revoked, and the JWKS to check them. */
@Module({
  imports: [EventsModule, TokensModule, VerificationModule],
  controllers: [SessionsController],
  providers: [SessionService],
})
export class SessionsModule {}
