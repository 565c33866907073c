import { Injectable } from '@nestjs/common';
import {
  type ComplianceHistoryItem,
  type ComplianceRow,
  type DevicesSummaryReply,
  type EnforcementState,
  EnforcementStates,
  InternalPatterns,
  type MfaMethod,
  MfaMethods,
  type Page,
} from '@mfa/contracts';
import { Bus } from '@mfa/bus';
import { type ComplianceCsvRow, CSV_HEADER, csvLine } from './compliance-csv';

export interface ComplianceReport {
  generatedAt: string;
  total: number;
  byState: Record<EnforcementState, number>;
  compliantPercent: number;
  devicesByType: Record<MfaMethod, number>;
  /** members whose active devices are all SMS: who still has to enroll under secureMethodsOnly */
  onlySmsCount: number;
}

/** Members per account-service page; the CSV holds one page (and the next, prefetched) in memory. */
export const CSV_PAGE_SIZE = 2000;

/** 100 × compliant / (total − not_required − exempt), 2 decimals, 0 when nobody is in scope. */
export function compliantPercent(total: number, byState: Record<EnforcementState, number>): number {
  const inScope = total - (byState.not_required ?? 0) - (byState.exempt ?? 0);
  return inScope > 0 ? Math.round((10_000 * (byState.compliant ?? 0)) / inScope) / 100 : 0;
}

/** A member's row joined with their devices (none known: no device, never used). */
function toCsvRow(r: ComplianceRow, d: DevicesSummaryReply['accounts'][string] | undefined): ComplianceCsvRow {
  return {
    accountId: r.accountId,
    email: r.email,
    state: r.state,
    mfaActive: (d?.activeCount ?? 0) > 0,
    deviceCount: d?.deviceCount ?? 0,
    graceDeadline: r.graceDeadline,
    lastMfaUsedAt: d?.lastUsedAt ?? null,
    exemptUntil: r.exemptUntil,
    onlySms: (d?.activeCount ?? 0) > 0 && (d?.secureActiveCount ?? 0) === 0,
    groups: (r.groups ?? []).join(';'),
  };
}

/**
 * The compliance report. Members and their state come from account-service, devices from
 * mfa-service, both over the bus: org-service holds no member data of its own.
 */
@Injectable()
export class ComplianceReportService {
  constructor(private readonly bus: Bus) {}

  async summary(orgId: string, now = new Date()): Promise<ComplianceReport> {
    const [stats, devices] = await Promise.all([
      this.bus.send(InternalPatterns.AccountsMembersStats, { orgId }),
      this.bus.send(InternalPatterns.MfaDevicesSummary, { orgId }),
    ]);
    const byState = Object.fromEntries(EnforcementStates.map((s) => [s, stats.byState?.[s] ?? 0])) as Record<EnforcementState, number>;
    return {
      generatedAt: now.toISOString(),
      total: stats.total,
      byState,
      compliantPercent: compliantPercent(stats.total, byState),
      devicesByType: Object.fromEntries(MfaMethods.map((m) => [m, devices.devicesByType?.[m] ?? 0])) as Record<MfaMethod, number>,
      onlySmsCount: devices.onlySmsCount ?? 0,
    };
  }

  /**
   * The CSV as text chunks, one per page of members (the header rides with the first, so a
   * failure on page one is still an ordinary error response). The next page of members is
   * fetched while the devices of this one are.
   */
  async *csv(orgId: string, pageSize = CSV_PAGE_SIZE): AsyncGenerator<string> {
    const fetchPage = (cursor?: string): Promise<Page<ComplianceRow>> => {
      const p = this.bus.send(InternalPatterns.AccountsCompliancePage, { orgId, limit: pageSize, ...(cursor ? { cursor } : {}) });
      p.catch(() => undefined); // an abandoned prefetch must not become an unhandled rejection
      return p;
    };
    let next: Promise<Page<ComplianceRow>> | null = fetchPage();
    let head = CSV_HEADER + '\n';
    while (next) {
      const page: Page<ComplianceRow> = await next;
      next = page.nextCursor ? fetchPage(page.nextCursor) : null;
      const devices = page.items.length
        ? await this.bus.send(InternalPatterns.MfaDevicesSummary, { accountIds: page.items.map((r) => r.accountId) })
        : null;
      yield head + page.items.map((r) => csvLine(toCsvRow(r, devices?.accounts?.[r.accountId]))).join('');
      head = '';
    }
  }

  async history(orgId: string, days: number): Promise<{ items: ComplianceHistoryItem[] }> {
    return this.bus.send(InternalPatterns.AccountsComplianceHistory, { orgId, days });
  }
}
