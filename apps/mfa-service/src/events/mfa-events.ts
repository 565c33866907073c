import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Jobs, type AuditAction, type AuditActorType, type DeviceEventJob, type JobPayloads } from '@mfa/contracts';
import type { Db } from '../common/db';
import { EventOutboxRepository } from './event-outbox.repository';
import { EventRelay } from './event-relay';

export interface AuditInput {
  orgId: string;
  accountId: string;
  action: AuditAction;
  at: Date;
  target: { type: string; id: string | null };
  details?: Record<string, unknown>;
  /** default: the account itself */
  actor?: { type: AuditActorType; id: string | null };
}

/**
 * Producer of mfa-service's jobs. Each job is first written to mfa.event_outbox, in the
 * transaction of the change that caused it when there is one, and the relay moves it to BullMQ:
 * a crash or a Redis outage between the commit and the queue loses nothing.
 */
@Injectable()
export class MfaEvents {
  constructor(
    private readonly dataSource: DataSource,
    private readonly relay: EventRelay,
    private readonly outbox: EventOutboxRepository,
  ) {}

  /** Writes the job; call `flush()` after the transaction commits. */
  async deviceChanged(db: Db, job: DeviceEventJob): Promise<void> {
    await this.write(db, job.cause === 'enabled' ? Jobs.DeviceActivated : Jobs.DeviceDeactivated, job);
  }

  async audit(db: Db, input: AuditInput): Promise<void> {
    const id = randomUUID();
    const payload: JobPayloads['record-audit-event'] = {
      id,
      orgId: input.orgId,
      at: input.at.toISOString(),
      actor: input.actor ?? { type: 'account', id: input.accountId },
      action: input.action,
      target: input.target,
      details: input.details ?? {},
    };
    await this.write(db, Jobs.RecordAuditEvent, payload, id);
  }

  /** Audit outside any transaction: written and flushed at once. */
  async auditNow(input: AuditInput): Promise<void> {
    await this.audit(this.dataSource, input);
    this.flush();
  }

  /** Asks the relay to move written jobs to Redis now (it also sweeps on a timer). */
  flush(): void {
    this.relay.kick();
  }

  private write(db: Db, jobName: string, payload: object, id: string = randomUUID()): Promise<void> {
    return this.outbox.insert(db, id, jobName, payload);
  }
}
