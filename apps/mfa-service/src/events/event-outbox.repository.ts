import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { JobName } from '@mfa/contracts';
import type { Db } from '@mfa/database';

export interface OutboxJob {
  id: string;
  job_name: JobName;
  payload: object;
}

/** mfa.event_outbox: jobs written with the change that caused them, until EventRelay queues them. */
@Injectable()
export class EventOutboxRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** In `db`'s transaction when it is one: the job commits or rolls back with the change that caused it. */
  async insert(db: Db, id: string, jobName: string, payload: object): Promise<void> {
    await db.query(`INSERT INTO mfa.event_outbox (id, job_name, payload, created_at) VALUES ($1, $2, $3, clock_timestamp())`, [
      id,
      jobName,
      JSON.stringify(payload),
    ]);
  }

  /**
   * One batch, oldest first, locked (SKIP LOCKED: instances share the work) while `send` runs,
   * deleted once it resolved; a throw keeps the rows. Answers how many rows it took.
   */
  async takeBatch(limit: number, send: (jobs: OutboxJob[]) => Promise<void>): Promise<number> {
    return this.dataSource.transaction(async (tx) => {
      const batch: OutboxJob[] = await tx.query(
        `SELECT id, job_name, payload FROM mfa.event_outbox ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [limit],
      );
      if (batch.length === 0) return 0;
      await send(batch);
      await tx.query(`DELETE FROM mfa.event_outbox WHERE id = ANY($1::uuid[])`, [batch.map((r) => r.id)]);
      return batch.length;
    });
  }
}
