import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** Set-based counts over the stored enforcement snapshot (docs/enforcement.md), for the scrape only. */
@Injectable()
export class EnforcementStatsRepository {
  constructor(private readonly dataSource: DataSource) {}

  async membersByState(): Promise<Array<{ state: string; n: number }>> {
    return this.dataSource.query(
      `SELECT coalesce(enforcement_state, 'not_required') AS state, count(*)::int AS n FROM accounts.accounts GROUP BY 1`,
    );
  }

  async topNonCompliantOrgs(limit: number): Promise<Array<{ org_id: string; n: number }>> {
    return this.dataSource.query(
      `SELECT org_id::text, count(*)::int AS n FROM accounts.accounts WHERE enforcement_state = 'non_compliant' GROUP BY org_id ORDER BY n DESC, org_id LIMIT $1`,
      [limit],
    );
  }
}
