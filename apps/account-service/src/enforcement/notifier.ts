import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { DeadlineReminderJob, PolicyRequiredNoticeJob } from '@mfa/contracts';

/**
 * Where member notifications go. Pluggable: bind NOTIFIER to an email or webhook sender; the
 * default writes them to accounts.notification_outbox for a delivery process to pick up.
 * Each method gets a whole chunk of accounts at once and must be idempotent (jobs retry).
 */
export interface Notifier {
  policyRequired(notice: PolicyRequiredNoticeJob): Promise<number>;
  deadlineReminder(reminder: DeadlineReminderJob): Promise<number>;
}

export const NOTIFIER = Symbol('NOTIFIER');

/** The default Notifier: one set-based INSERT per chunk; a retried job inserts nothing twice. */
@Injectable()
export class OutboxNotifier implements Notifier {
  constructor(private readonly dataSource: DataSource) {}

  policyRequired(notice: PolicyRequiredNoticeJob): Promise<number> {
    return this.insert(notice.orgId, notice.accountIds, null, 'policy_required', notice.policyVersion, {});
  }

  /** The offset and the deadline tell reminders apart: a moved deadline is reminded of again. */
  deadlineReminder(reminder: DeadlineReminderJob): Promise<number> {
    return this.insert(reminder.orgId, reminder.accountIds, reminder.deadlines ?? null, 'deadline_reminder', reminder.offsetHours, { offsetHours: reminder.offsetHours });
  }

  private async insert(orgId: string, accountIds: string[], keys: string[] | null, kind: string, version: number, payload: object): Promise<number> {
    if (accountIds.length === 0) return 0;
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO accounts.notification_outbox (org_id, account_id, kind, policy_version, dedupe_key, payload)
       SELECT $1, n.id, $3, $4, coalesce(n.key, ''), $5::jsonb || jsonb_strip_nulls(jsonb_build_object('deadline', n.key))
         FROM unnest($2::uuid[], $6::text[]) AS n(id, key)
       ON CONFLICT (account_id, kind, policy_version, dedupe_key) DO NOTHING RETURNING id`,
      [orgId, accountIds, kind, version, JSON.stringify(payload), keys ?? accountIds.map(() => null)],
    );
    return rows.length;
  }
}
