import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { SmsOutboxRepository } from './sms-outbox.repository';

export interface SmsMessage {
  to: string;
  body: string;
  serialNumber: string;
  accountId: string;
}

/**
 * Where SMS codes go (SMS_SENDER): `outbox` for development, `webhook` in production. `send`
 * resolves once the message is accepted for delivery.
 */
export abstract class SmsSender {
  abstract send(message: SmsMessage): Promise<void>;
}

/** Development sender: mfa.sms_outbox, encrypted, kept a day; read it with readSmsOutbox. */
@Injectable()
export class OutboxSmsSender extends SmsSender {
  constructor(
    private readonly outbox: SmsOutboxRepository,
    private readonly clock: Clock,
  ) {
    super();
  }

  async send(message: SmsMessage): Promise<void> {
    await this.outbox.insert(message, this.clock.now());
  }
}
