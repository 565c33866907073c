import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export interface UnfinishedRollout {
  org_id: string;
  policy_version: number;
  status: string;
  total: number;
  applied: number;
  silent_s: number;
}

/** Rollouts not completed, from the partial index on unfinished rows; for the scrape only. */
@Injectable()
export class RolloutStatsRepository {
  constructor(private readonly dataSource: DataSource) {}

  async countsByStatus(): Promise<Array<{ status: string; n: number }>> {
    return this.dataSource.query(`SELECT status, count(*)::int AS n FROM org.policy_rollouts WHERE status <> 'completed' GROUP BY status`);
  }

  async unfinished(limit: number): Promise<UnfinishedRollout[]> {
    return this.dataSource.query(
      `SELECT org_id::text, policy_version, status, total, applied, extract(epoch FROM now() - updated_at)::float8 AS silent_s
         FROM org.policy_rollouts WHERE status <> 'completed' ORDER BY updated_at LIMIT $1`,
      [limit],
    );
  }
}
