import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { type Job, UnrecoverableError } from 'bullmq';
import { JobQueues } from '@mfa/bus';
import { InternalKey } from '@mfa/crypto';
import { Jobs, Queues, type SmsDeliveryJob } from '@mfa/contracts';
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
 * number and body sealed; a worker on every instance opens it and POSTs the signed JSON to
 * SMS_WEBHOOK_URL, retried with exponential backoff. A job that fails for good (attempts spent, or
 * a 4xx answer that a retry cannot fix) is kept in the failed set and logged: the dead letters.
 */
@Injectable()
export class WebhookSmsSender extends SmsSender implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(WebhookSmsSender.name);
  private readonly jobs: JobQueues;

  constructor(
    private readonly keys: KeyMaterial,
    private readonly clock: Clock,
    @Inject(MfaServiceEnv) private readonly env: MfaServiceEnv,
    internalKey: InternalKey,
  ) {
    super();
    this.jobs = new JobQueues(env.REDIS_URL, internalKey, WebhookSmsSender.name);
  }

  onModuleInit(): void {
    const worker = this.jobs.work(Queues.SmsDelivery, (job: Job<SmsDeliveryJob>) => this.deliver(job), { concurrency: 20 });
    worker.on('failed', (job, err) => {
      if (job && (err instanceof UnrecoverableError || err.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1))) {
        this.logger.error(`SMS delivery job ${job.id} (device ${job.data.deviceSerialNumber}) dead-lettered after ${job.attemptsMade} attempts: ${err.message}`);
      }
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.jobs.close();
  }

  async send(message: SmsMessage): Promise<void> {
    const jobId = randomUUID();
    const sealed = this.keys.envelope.encrypt(Buffer.from(JSON.stringify({ to: message.to, body: message.body }), 'utf8'), smsJobAad(jobId));
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

  /** One POST; throws to retry. Errors name the status, never the number or the body. */
  private async deliver(job: Job<SmsDeliveryJob>): Promise<void> {
    const { to, body } = JSON.parse(this.keys.envelope.decrypt(job.data.sealed, smsJobAad(job.id!)).toString('utf8')) as { to: string; body: string };
    const raw = JSON.stringify({ to, body, deviceSerialNumber: job.data.deviceSerialNumber, accountId: job.data.accountId, sentAt: job.data.sentAt });
    const res = await fetch(this.env.SMS_WEBHOOK_URL, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [SMS_SIGNATURE_HEADER]: signSmsWebhook(this.env.SMS_WEBHOOK_SECRET, raw) },
      body: raw,
      signal: AbortSignal.timeout(this.env.SMS_WEBHOOK_TIMEOUT_MS),
    });
    await res.body?.cancel().catch(() => undefined);
    if (res.ok) return;
    // a refusal that a retry cannot fix goes to the dead letters at once; 408, 429 and 5xx are retried
    if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) throw new UnrecoverableError(`SMS webhook answered ${res.status}`);
    throw new Error(`SMS webhook answered ${res.status}`);
  }
}
