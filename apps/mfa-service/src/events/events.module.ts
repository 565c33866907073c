import { Module } from '@nestjs/common';
import { EventOutboxRepository } from './event-outbox.repository';
import { EventRelay } from './event-relay';
import { MfaEvents } from './mfa-events';

/** Device and audit events: written in the caller's transaction, relayed to the queues. */
@Module({
  providers: [EventOutboxRepository, EventRelay, MfaEvents],
  exports: [EventRelay, MfaEvents],
})
export class EventsModule {}
