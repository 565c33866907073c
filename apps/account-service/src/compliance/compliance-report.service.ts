import { Injectable } from '@nestjs/common';
import { Clock, utcDate } from '@mfa/clock';
import { type ComplianceHistoryItem, type ComplianceRow, type EnforcementState, EnforcementStates, type Page } from '@mfa/contracts';
import { decodeMemberCursor, encodeMemberCursor } from '../accounts/member-cursor';
import { ComplianceReportRepository } from './compliance-report.repository';

const iso = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);

/** The data behind the compliance report, served to org-service over the bus. */
@Injectable()
export class ComplianceReportService {
  constructor(
    private readonly repo: ComplianceReportRepository,
    private readonly clock: Clock,
  ) {}

  /** One keyset page of the org's members with their state now (the member listing's cursor format). */
  async page(orgId: string, limit: number, cursor?: string): Promise<Page<ComplianceRow>> {
    const after = cursor ? decodeMemberCursor(cursor) : null;
    const rows = await this.repo.page(orgId, after, limit, this.clock.now());
    return {
      items: rows.map((r) => ({
        accountId: r.id,
        email: r.email,
        state: r.state,
        graceDeadline: iso(r.grace_deadline),
        exemptUntil: iso(r.exempt_until),
        groups: r.groups ?? [],
      })),
      nextCursor: rows.length === limit ? encodeMemberCursor(rows[rows.length - 1].id) : null,
    };
  }

  async history(orgId: string, days: number): Promise<{ items: ComplianceHistoryItem[] }> {
    const rows = await this.repo.history(orgId, utcDate(this.clock.now()), days);
    return {
      items: rows.map((r) => ({
        date: r.date,
        total: Number(r.total),
        byState: Object.fromEntries(EnforcementStates.map((s) => [s, Number(r.by_state?.[s] ?? 0)])) as Record<EnforcementState, number>,
        compliantPercent: Number(r.compliant_percent),
      })),
    };
  }
}
