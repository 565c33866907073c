import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EnforcementState } from '@mfa/contracts';
import { DEADLINE, POLICY_GROUPS, POLICY_JOIN, stateAt } from '../enforcement/enforcement.sql';

export interface ComplianceRowRecord {
  id: string;
  email: string;
  state: EnforcementState;
  grace_deadline: Date | null;
  exempt_until: Date | null;
  groups: string[];
}

export interface SnapshotRecord {
  date: string;
  total: number;
  by_state: Record<EnforcementState, number>;
  compliant_percent: string;
}

/** Reads behind accounts.internal.compliance.page and .history. */
@Injectable()
export class ComplianceReportRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** One keyset page of an org's members, state computed with the shared rule at `now`. */
  page(orgId: string, afterId: string | null, limit: number, now: Date): Promise<ComplianceRowRecord[]> {
    return this.dataSource.query(
      `SELECT a.id, a.email, ${stateAt('$4')} AS state, ${DEADLINE} AS grace_deadline,
              CASE WHEN a.exempt_until > $4::timestamptz THEN a.exempt_until END AS exempt_until, ${POLICY_GROUPS} AS groups
         FROM ${POLICY_JOIN}
        WHERE a.org_id = $1 AND ($2::uuid IS NULL OR a.id > $2::uuid)
        ORDER BY a.id LIMIT $3`,
      [orgId, afterId, limit, now],
    );
  }

  /** The org's daily snapshots of the last `days` days up to `today`, oldest first. */
  history(orgId: string, today: string, days: number): Promise<SnapshotRecord[]> {
    return this.dataSource.query(
      `SELECT to_char(date, 'YYYY-MM-DD') AS date, total, by_state, compliant_percent
         FROM accounts.compliance_snapshots
        WHERE org_id = $1 AND date > $2::date - $3::int AND date <= $2::date
        ORDER BY date`,
      [orgId, today, days],
    );
  }
}
