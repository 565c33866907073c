import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import { type JobContext, JobQueues, OnJob } from '@mfa/bus';
import { Jobs, type SmsDeliveryJob } from '@mfa/contracts';
import { smsJobAad } from '../common/aad';
import { Clock } from '../common/clock';
import { KeyMaterial } from '../common/key-material';
import { MfaServiceEnv } from '../config/mfa-service.env';
import { type SmsMessage, SmsSender } from './sms-sender';
import { SMS_SIGNATURE_HEADER, signSmsWebhook } from './webhook-signature';

/** Failed for good jobs kept for operators (their data is sealed). */
const DEAD_LETTERS_KEPT = 10_000;

/**
 * Production sender (SMS_SENDER=webhook): each message becomes a `send-sms` job whose data holds
 * number and body sealed; SmsWebhookDelivery, on every instance, opens it and POSTs the signed
 * JSON to SMS_WEBHOOK_URL, retried with exponential backoff. A job that fails for good (attempts
 * spent, or a 4xx answer that a retry cannot fix) is kept in the failed set and logged: the dead letters.
 */
@Injectable()
export class WebhookSmsSender extends SmsSender {
  constructor(
    private readonly keys: KeyMaterial,
    private readonly clock: Clock,
    @Inject(MfaServiceEnv) private readonly env: MfaServiceEnv,
    private readonly jobs: JobQueues,
  ) {
    super();
  }

  async send(message: SmsMessage): Promise<void> {
    const jobId = randomUUID();
    const sealed = this.keys.envelope.encrypt(
      Buffer.from(JSON.stringify({ to: message.to, body: message.body }), 'utf8'),
      smsJobAad(jobId),
    );
    await this.jobs.add(
      Jobs.SendSms,
      { accountId: message.accountId, deviceSerialNumber: message.serialNumber, sealed, sentAt: this.clock.now().toISOString() },
      {
        jobId,
        attempts: this.env.SMS_WEBHOOK_ATTEMPTS,
        backoff: { type: 'exponential', delay: this.env.SMS_WEBHOOK_BACKOFF_MS },
        removeOnComplete: true,
        removeOnFail: { count: DEAD_LETTERS_KEPT },
      },
    );
  }
}

/**
 * The consumer of `send-sms` jobs. Provided whatever SMS_SENDER says (mfa-service owns the
 * queue): with the outbox sender nothing adds these jobs, and one left by a webhook-mode run
 * is still delivered, or dead-lettered when no SMS_WEBHOOK_URL is set.
 */
@Injectable()
export class SmsWebhookDelivery {
  private readonly logger = new Logger(SmsWebhookDelivery.name);

  constructor(
    private readonly keys: KeyMaterial,
    @Inject(MfaServiceEnv) private readonly env: MfaServiceEnv,
  ) {}

  @OnJob(Jobs.SendSms)
  async deliver(sms: SmsDeliveryJob, { job }: JobContext): Promise<void> {
    try {
      await this.post(sms, job.id!);
    } catch (err) {
      const last = err instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      if (last)
        this.logger.error(
          `SMS delivery job ${job.id} (device ${sms.deviceSerialNumber}) dead-lettered after ${job.attemptsMade + 1} attempts: ${(err as Error).message}`,
        );
      throw err;
    }
  }

  /** One POST; throws to retry. Errors name the status, never the number or the body. */
  private async post(sms: SmsDeliveryJob, jobId: string): Promise<void> {
    if (!this.env.SMS_WEBHOOK_URL) throw new UnrecoverableError('SMS_WEBHOOK_URL is not set (SMS_SENDER is not webhook)');
    const { to, body } = JSON.parse(this.keys.envelope.decrypt(sms.sealed, smsJobAad(jobId)).toString('utf8')) as {
      to: string;
      body: string;
    };
    const raw = JSON.stringify({ to, body, deviceSerialNumber: sms.deviceSerialNumber, accountId: sms.accountId, sentAt: sms.sentAt });
    const res = await fetch(this.env.SMS_WEBHOOK_URL, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [SMS_SIGNATURE_HEADER]: signSmsWebhook(this.env.SMS_WEBHOOK_SECRET, raw) },
      body: raw,
      signal: AbortSignal.timeout(this.env.SMS_WEBHOOK_TIMEOUT_MS),
    });
    await res.body?.cancel().catch(() => undefined);
    if (res.ok) return;
    // a refusal that a retry cannot fix goes to the dead letters at once; 408, 429 and 5xx are retried
    if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429)
      throw new UnrecoverableError(`SMS webhook answered ${res.status}`);
    throw new Error(`SMS webhook answered ${res.status}`);
  }
}
