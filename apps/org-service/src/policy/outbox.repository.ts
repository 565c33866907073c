import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type Db, rows } from '@mfa/database';

export interface OutboxRow<T = unknown> {
  id: string;
  kind: string;
  payload: T;
  attempts: number;
}

/** org.outbox: what must reach another service even when Redis or that service is down right now. */
@Injectable()
export class OutboxRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Inserted with a lease of `leaseSeconds`: the request that wrote it delivers it first; the
   * relay only takes it over when that attempt fails (release) or the lease runs out (a crash).
   */
  async insert(db: Db, kind: string, payload: unknown, leaseSeconds: number): Promise<OutboxRow> {
    const [row] = await rows<OutboxRow>(
      db,
      `INSERT INTO org.outbox (kind, payload, next_attempt_at) VALUES ($1, $2::jsonb, now() + make_interval(secs => $3))
       RETURNING id, kind, payload, attempts`,
      [kind, JSON.stringify(payload), leaseSeconds],
    );
    return row;
  }

  /** Due rows, oldest first; each claimed row's lease moves forward so no other instance takes it meanwhile. */
  claimDue(limit: number, leaseSeconds: number): Promise<OutboxRow[]> {
    return rows<OutboxRow>(
      this.dataSource,
      `UPDATE org.outbox SET attempts = attempts + 1, next_attempt_at = now() + make_interval(secs => $2)
        WHERE id IN (SELECT id FROM org.outbox WHERE delivered_at IS NULL AND next_attempt_at <= now()
                      ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
        RETURNING id, kind, payload, attempts`,
      [limit, leaseSeconds],
    );
  }

  async markDelivered(id: string): Promise<void> {
    await this.dataSource.query(`UPDATE org.outbox SET delivered_at = now(), last_error = NULL WHERE id = $1`, [id]);
  }

  /** A failed attempt: due again after `retryInSeconds`. */
  async release(id: string, error: string, retryInSeconds: number): Promise<void> {
    await this.dataSource.query(
      `UPDATE org.outbox SET last_error = $2, next_attempt_at = now() + make_interval(secs => $3) WHERE id = $1 AND delivered_at IS NULL`,
      [id, error.slice(0, 500), retryInSeconds],
    );
  }
}
