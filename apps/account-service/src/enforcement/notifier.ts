import { Injectable } from '@nestjs/common';
import type { DeadlineReminderJob, PolicyRequiredNoticeJob } from '@mfa/contracts';
import { NotificationOutboxRepository } from './notification-outbox.repository';

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
  constructor(private readonly outbox: NotificationOutboxRepository) {}

  /** A group's notice is told apart from the org's (and other groups') same version number by its key. */
  policyRequired(notice: PolicyRequiredNoticeJob): Promise<number> {
    return this.outbox.insertChunk({
      orgId: notice.orgId,
      accountIds: notice.accountIds,
      dedupeKeys: notice.groupId ? notice.accountIds.map(() => notice.groupId!) : null,
      keyName: 'groupId',
      kind: 'policy_required',
      version: notice.policyVersion,
      payload: {},
    });
  }

  /** The offset and the deadline tell reminders apart: a moved deadline is reminded of again. */
  deadlineReminder(reminder: DeadlineReminderJob): Promise<number> {
    return this.outbox.insertChunk({
      orgId: reminder.orgId,
      accountIds: reminder.accountIds,
      dedupeKeys: reminder.deadlines ?? null,
      kind: 'deadline_reminder',
      version: reminder.offsetHours,
      payload: { offsetHours: reminder.offsetHours },
    });
  }
}
