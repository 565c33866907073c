import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import { MfaServiceEnv } from '../config/mfa-service.env';
import { SmsLedgerRepository } from './sms-ledger.repository';
import { SmsOutboxSweeper } from './sms-outbox';
import { SmsOutboxRepository } from './sms-outbox.repository';
import { OutboxSmsSender, SmsSender } from './sms-sender';
import { SmsWebhookDelivery, WebhookSmsSender } from './webhook-sms-sender';

const SMS_SENDERS = { outbox: OutboxSmsSender, webhook: WebhookSmsSender } as const;

/**
 * How SMS leave: the gateway (SMS_SENDER, or a test's), the outbox and the send ledger. Global:
 * the gateway chosen at boot is one instance for the app. The SMS device method is methods/sms/.
 */
@Module({})
export class SmsDeliveryModule {
  static forRoot(env: MfaServiceEnv, smsSender?: Provider<SmsSender>): DynamicModule {
    return {
      module: SmsDeliveryModule,
      global: true,
      providers: [
        smsSender ?? { provide: SmsSender, useClass: SMS_SENDERS[env.SMS_SENDER] },
        SmsOutboxRepository,
        SmsOutboxSweeper,
        SmsLedgerRepository,
        SmsWebhookDelivery,
      ],
      exports: [SmsSender, SmsOutboxRepository, SmsLedgerRepository],
    };
  }
}
