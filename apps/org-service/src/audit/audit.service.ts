import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Db } from '@mfa/database';
import type { AuditAction, AuditActorType, AuditEvent, AuditEventJob, Page } from '@mfa/contracts';
import type { Principal } from '../auth/principal';
import { decodeAuditCursor, encodeAuditCursor } from './audit-cursor';
import { scrubDetails } from './audit-details';
import { AuditEventRepository, type AuditEventRow, type NewAuditEventRow } from './audit-event.repository';

export interface AuditActor {
  type: AuditActorType;
  id: string | null;
}

/** What org-service code passes to `record`: id and time default to new ones. */
export interface AuditRecord {
  orgId: string;
  action: AuditAction;
  actor: AuditActor;
  target: { type: string; id: string | null };
  details?: Record<string, unknown>;
  id?: string;
  at?: Date | string;
}

export interface AuditListOptions {
  limit: number;
  cursor?: string;
  action?: AuditAction;
}

/** The actor of an HTTP request: the platform key has no id; an org key is named by its key id. */
export function actorOf(principal: Principal): AuditActor {
  return principal.kind === 'platform' ? { type: 'platform', id: null } : { type: 'api_key', id: principal.keyId };
}

function toRow(e: AuditRecord | AuditEventJob): NewAuditEventRow {
  return {
    id: e.id ?? randomUUID(),
    orgId: e.orgId,
    // unset: Postgres stamps clock_timestamp(), so events of one transaction keep their order
    at: e.at ? new Date(e.at) : null,
    actorType: e.actor.type,
    actorId: e.actor.id ?? null,
    action: e.action,
    targetType: e.target.type,
    targetId: e.target.id ?? null,
    details: (scrubDetails(e.details ?? {}) as Record<string, unknown>) ?? {},
  };
}

function toEvent(r: AuditEventRow): AuditEvent {
  return {
    id: r.id,
    at: new Date(r.at).toISOString(),
    actor: { type: r.actor_type, id: r.actor_id },
    action: r.action,
    target: { type: r.target_type, id: r.target_id },
    details: r.details ?? {},
  };
}

/**
 * The audit log. `record` is what org-service's own admin actions call, inside their
 * transaction (`db`: the event commits or rolls back with the change), `recordNow` outside
 * any; events of the other services arrive through the audit-events queue.
 */
@Injectable()
export class AuditService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly events: AuditEventRepository,
  ) {}

  async record(db: Db, event: AuditRecord): Promise<AuditEvent> {
    const row = toRow(event);
    const [stored] = await this.events.insert(db, [row]);
    return toEvent({
      id: row.id,
      org_id: row.orgId,
      at: stored?.at ?? row.at ?? new Date(),
      at_key: '',
      actor_type: row.actorType,
      actor_id: row.actorId,
      action: row.action,
      target_type: row.targetType,
      target_id: row.targetId,
      details: row.details,
    });
  }

  /** An action that changed nothing in this schema: recorded on its own. */
  recordNow(event: AuditRecord): Promise<AuditEvent> {
    return this.record(this.dataSource, event);
  }

  /** Jobs from the queue; a redelivered job (same id) is skipped. Returns how many were new. */
  async recordJobs(jobs: AuditEventJob[]): Promise<number> {
    return (await this.events.insert(this.dataSource, jobs.map(toRow))).length;
  }

  async list(orgId: string, opts: AuditListOptions): Promise<Page<AuditEvent>> {
    const after = opts.cursor ? decodeAuditCursor(opts.cursor) : undefined;
    // one extra row tells whether there is a next page without a count query
    const rows = await this.events.list({ orgId, limit: opts.limit + 1, action: opts.action, after });
    const page = rows.slice(0, opts.limit);
    const last = page[page.length - 1];
    return {
      items: page.map(toEvent),
      nextCursor: rows.length > opts.limit && last ? encodeAuditCursor({ atKey: last.at_key, id: last.id }) : null,
    };
  }
}
