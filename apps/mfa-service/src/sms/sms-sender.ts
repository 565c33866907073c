import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock';

export interface SmsMessage {
  to: string;
  body: string;
  serialNumber: string;
}

/**
 * Where SMS codes go. Pluggable (SMS_SENDER): bind another implementation of this class for a
 * real gateway. `send` resolves once the message is accepted for delivery.
 */
export abstract class SmsSender {
  abstract send(message: SmsMessage): Promise<void>;
}

/** Default sender: writes each message to mfa.sms_outbox, where tests and operators read it. */
@Injectable()
export class OutboxSmsSender extends SmsSender {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {
    super();
  }

  async send(message: SmsMessage): Promise<void> {
    await this.dataSource.query(`INSERT INTO mfa.sms_outbox (id, phone_number, body, serial_number, created_at) VALUES ($1, $2, $3, $4, $5)`, [
      randomUUID(),
      message.to,
      message.body,
      message.serialNumber,
      this.clock.now(),
    ]);
  }
}
