import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { type Job, UnrecoverableError } from 'bullmq';
import { type AuditEventJob, Jobs, Queues } from '@mfa/contracts';
import { flattenValidationErrors, JobQueues, validationMessage } from '@mfa/bus';
import { InternalKey } from '@mfa/crypto';
import { OrgServiceEnv } from '../config/org-service.env';
import { AuditService } from './audit.service';
import { AuditEventJobDto } from './dto/audit-event.job-dto';

/**
 * Consumes `audit-events`: events raised by account-service and mfa-service. They wait in the
 * queue while org-service is down; a redelivered job is recorded once (the producer's id).
 * Only jobs the platform signed reach `handle` (JobQueues.work): an event added to the queue by
 * hand is never recorded.
 */
@Injectable()
export class AuditEventsProcessor implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(AuditEventsProcessor.name);
  private readonly queues: JobQueues;

  constructor(
    private readonly audit: AuditService,
    env: OrgServiceEnv,
    internalKey: InternalKey,
  ) {
    this.queues = new JobQueues(env.REDIS_URL, internalKey, AuditEventsProcessor.name);
  }

  onApplicationBootstrap(): void {
    this.queues.work(Queues.AuditEvents, (job: Job<AuditEventJob>) => this.handle(job), { concurrency: 16 });
  }

  async handle(job: Job<AuditEventJob>): Promise<{ recorded: boolean }> {
    if (job.name !== Jobs.RecordAuditEvent) throw new UnrecoverableError(`unknown job ${job.name} on ${Queues.AuditEvents}`);
    const dto = plainToInstance(AuditEventJobDto, job.data);
    const errors = validateSync(dto, { whitelist: true, forbidNonWhitelisted: false });
    if (errors.length > 0) {
      // retrying cannot fix a malformed event: fail it for good and say why
      const message = validationMessage(flattenValidationErrors(errors));
      this.logger.warn(`dropped malformed audit event job ${job.id}: ${message}`);
      throw new UnrecoverableError(message);
    }
    // job.data, not the DTO: details stay as the producer sent them (the DTO whitelists nested keys)
    const recorded = await this.audit.recordJobs([{ ...job.data, details: job.data.details ?? {} }]);
    return { recorded: recorded === 1 };
  }

  async onModuleDestroy(): Promise<void> {
    // finishes the jobs in flight; the rest stay in Redis for the next start
    await this.queues.close();
  }
}
