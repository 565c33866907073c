import { Injectable } from '@nestjs/common';
import { type AuditEventJob, Jobs } from '@mfa/contracts';
import { OnJob } from '@mfa/bus';
import { AuditService } from './audit.service';

/**
 * Consumes `audit-events`: events raised by account-service and mfa-service. They wait in the
 * queue while org-service is down; a redelivered job is recorded once (the producer's id).
 * Only jobs the platform signed, valid for AuditEventJobDto, reach `record` (the job layer): an
 * event added to the queue by hand is never recorded, a malformed one fails for good, named.
 */
@Injectable()
export class AuditEventsProcessor {
  constructor(private readonly audit: AuditService) {}

  @OnJob(Jobs.RecordAuditEvent)
  async record(event: AuditEventJob): Promise<{ recorded: boolean }> {
    // the data as sent, not a DTO: details stay as the producer sent them
    const recorded = await this.audit.recordJobs([{ ...event, details: event.details ?? {} }]);
    return { recorded: recorded === 1 };
  }
}
