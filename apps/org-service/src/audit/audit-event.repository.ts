import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Db } from '@mfa/database';
import type { AuditAction, AuditActorType } from '@mfa/contracts';

/** A row of org.audit_events as the repository hands it out. */
export interface AuditEventRow {
  id: string;
  org_id: string;
  at: Date;
  /** `at` at full (microsecond) precision: what the keyset cursor carries */
  at_key: string;
  actor_type: AuditActorType;
  actor_id: string | null;
  action: AuditAction;
  target_type: string;
  target_id: string | null;
  details: Record<string, unknown>;
}

export interface NewAuditEventRow {
  id: string;
  orgId: string;
  /** null: stamped by Postgres at insert with microsecond precision */
  at: Date | null;
  actorType: AuditActorType;
  actorId: string | null;
  action: AuditAction;
  targetType: string;
  targetId: string | null;
  details: Record<string, unknown>;
}

export interface AuditListQuery {
  orgId: string;
  limit: number;
  action?: AuditAction;
  /** the last row of the previous page: rows strictly older than it come next */
  after?: { atKey: string; id: string };
}

const COLUMNS = `id, org_id, at, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at_key,
  actor_type, actor_id, action, target_type, target_id, details`;

/** Every query on org.audit_events. */
@Injectable()
export class AuditEventRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The rows recorded now, with their stored time; an id already there (a retry) is skipped. */
  async insert(db: Db, rows: NewAuditEventRow[]): Promise<Array<{ id: string; at: Date }>> {
    if (rows.length === 0) return [];
    const params: unknown[] = [];
    const values = rows.map((r) => {
      params.push(r.id, r.orgId, r.at, r.actorType, r.actorId, r.action, r.targetType, r.targetId, JSON.stringify(r.details));
      const n = params.length;
      return `($${n - 8}, $${n - 7}, COALESCE($${n - 6}::timestamptz, clock_timestamp()), $${n - 5}, $${n - 4}, $${n - 3}, $${n - 2}, $${n - 1}, $${n}::jsonb)`;
    });
    return db.query(
      `INSERT INTO org.audit_events (id, org_id, at, actor_type, actor_id, action, target_type, target_id, details)
       VALUES ${values.join(', ')} ON CONFLICT (id) DO NOTHING RETURNING id, at`,
      params,
    );
  }

  /** Newest first, keyset on (at, id): stable under concurrent inserts, index-only ordering. */
  list(q: AuditListQuery): Promise<AuditEventRow[]> {
    const params: unknown[] = [q.orgId, q.limit];
    const where = ['org_id = $1'];
    if (q.action) {
      params.push(q.action);
      where.push(`action = $${params.length}`);
    }
    if (q.after) {
      params.push(q.after.atKey, q.after.id);
      where.push(`(at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    return this.dataSource.query(
      `SELECT ${COLUMNS} FROM org.audit_events WHERE ${where.join(' AND ')} ORDER BY at DESC, id DESC LIMIT $2`,
      params,
    );
  }
}
