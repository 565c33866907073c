/**
 * ┌──────────────────────────────────────────────────────────────────────────────────────┐
 * │ WIRE NAMES. Queue and job names are keys in Redis and are read by other services and  │
 * │ by jobs already queued by older versions. Add, never rename.                          │
 * └──────────────────────────────────────────────────────────────────────────────────────┘
 * Each queue has exactly one consuming app (QueueOwner); producers may be anywhere. Each job's
 * payload has a validation class (JobPayloadDtos, job-payloads.ts) checked where it enters.
 */
import type { AuditAction, AuditActorType, MfaMethod, RolloutStatus } from './enums';

/** BullMQ key prefix on one Redis. The braces are a Redis Cluster hash tag: every queue key lands in one slot. */
export const QUEUE_PREFIX = '{mfa-platform}';

/**
 * A queue's BullMQ key prefix. One Redis: QUEUE_PREFIX, as always (jobs already queued keep their
 * keys). A cluster: `{mfa-platform:<queue>}`, a hash tag per queue, so each queue's keys (which
 * BullMQ's scripts use together) share a slot and the queues spread over the nodes.
 */
export function queuePrefix(queue: QueueName, cluster: boolean): string {
  return cluster ? `{mfa-platform:${queue}}` : QUEUE_PREFIX;
}

export const Queues = {
  /** consumed by account-service: materialize a policy version for every member of an org */
  PolicyRollouts: 'policy-rollouts',
  /** consumed by account-service: a device became active or inactive (produced by mfa-service) */
  DeviceEvents: 'device-events',
  /** consumed by account-service: notifications to members, one job per chunk of accounts */
  Notifications: 'notifications',
  /** consumed by account-service: the repeatable compliance jobs */
  Compliance: 'compliance',
  /** consumed by org-service: rollout progress reported by account-service */
  RolloutProgress: 'rollout-progress',
  /** consumed by org-service: audit events raised anywhere */
  AuditEvents: 'audit-events',
  /** consumed by mfa-service: SMS messages for the webhook sender (SMS_SENDER=webhook) */
  SmsDelivery: 'sms-delivery',
  /** consumed by mfa-service: its periodic sweeps (BullMQ job schedulers) */
  MfaMaintenance: 'mfa-maintenance',
} as const;
export type QueueName = (typeof Queues)[keyof typeof Queues];

export const Jobs = {
  MaterializePolicy: 'materialize-policy',
  DeviceActivated: 'device-activated',
  DeviceDeactivated: 'device-deactivated',
  PolicyRequiredNotice: 'policy-required-notice',
  DeadlineReminder: 'deadline-reminder',
  MaterializeDeadlines: 'materialize-deadlines',
  ExpireExemptions: 'expire-exemptions',
  SendReminders: 'send-reminders',
  ReconcilePolicyVersions: 'reconcile-policy-versions',
  SnapshotCompliance: 'snapshot-compliance',
  RolloutProgress: 'rollout-progress',
  RecordAuditEvent: 'record-audit-event',
  SendSms: 'send-sms',
  SweepPendingDevices: 'sweep-pending-devices',
  SweepSmsOutbox: 'sweep-sms-outbox',
} as const;
export type JobName = (typeof Jobs)[keyof typeof Jobs];

/** Which queue each job goes on. */
export const QueueOfJob: Record<JobName, QueueName> = {
  'materialize-policy': Queues.PolicyRollouts,
  'device-activated': Queues.DeviceEvents,
  'device-deactivated': Queues.DeviceEvents,
  'policy-required-notice': Queues.Notifications,
  'deadline-reminder': Queues.Notifications,
  'materialize-deadlines': Queues.Compliance,
  'expire-exemptions': Queues.Compliance,
  'send-reminders': Queues.Compliance,
  'reconcile-policy-versions': Queues.Compliance,
  'snapshot-compliance': Queues.Compliance,
  'rollout-progress': Queues.RolloutProgress,
  'record-audit-event': Queues.AuditEvents,
  'send-sms': Queues.SmsDelivery,
  'sweep-pending-devices': Queues.MfaMaintenance,
  'sweep-sms-outbox': Queues.MfaMaintenance,
};

/** The platform's apps, as the job layer names them (JobsModule.forApp). */
export const Apps = { Org: 'org-service', Account: 'account-service', Mfa: 'mfa-service' } as const;
export type AppName = (typeof Apps)[keyof typeof Apps];

/** The one app that consumes each queue: its boot check wants a handler for every job of these, and none for others. */
export const QueueOwner: Record<QueueName, AppName> = {
  'policy-rollouts': Apps.Account,
  'device-events': Apps.Account,
  notifications: Apps.Account,
  compliance: Apps.Account,
  'rollout-progress': Apps.Org,
  'audit-events': Apps.Org,
  'sms-delivery': Apps.Mfa,
  'mfa-maintenance': Apps.Mfa,
};

// ---- job payloads ---------------------------------------------------------------------

export interface MaterializePolicyJob {
  orgId: string;
  rolloutId: string;
  policyVersion: number;
  /** added with groups: a group policy's rollout (its members only; policyVersion is the group's) */
  groupId?: string;
}

export interface DeviceEventJob {
  accountId: string;
  orgId: string;
  serialNumber: string;
  type: MfaMethod;
  /** active devices the account has after this event */
  activeDeviceCount: number;
  /**
   * of those, the ones that are not SMS (SecureMfaMethods); added later: a job written before it
   * lacks the field, and account-service then keeps its own figure (capped by the total)
   */
  secureActiveDeviceCount?: number;
  cause: 'enabled' | 'member_deactivated' | 'admin_reset' | 'expired' | 'account_removed';
  at: string;
}

export interface PolicyRequiredNoticeJob {
  orgId: string;
  policyVersion: number;
  accountIds: string[];
  /** added with groups: the notice is about this group's policy version */
  groupId?: string;
}
export interface DeadlineReminderJob {
  orgId: string;
  accountIds: string[];
  offsetHours: number;
  /** the deadline each reminder is about, parallel to accountIds (ISO-8601) */
  deadlines?: string[];
}

export interface RolloutProgressJob {
  rolloutId: string;
  orgId: string;
  policyVersion: number;
  status: RolloutStatus;
  total: number;
  applied: number;
  completedAt: string | null;
}

export interface AuditEventJob {
  /** a UUID chosen by the producer, so a retried job records the event once */
  id: string;
  orgId: string;
  at: string;
  actor: { type: AuditActorType; id: string | null };
  action: AuditAction;
  target: { type: string; id: string | null };
  details: Record<string, unknown>;
}

export interface SmsDeliveryJob {
  accountId: string;
  deviceSerialNumber: string;
  /** `{to, body}` sealed by mfa-service (AES-GCM envelope, AAD bound to the job id): no number or code in Redis */
  sealed: string;
  sentAt: string;
}

export interface JobPayloads {
  'materialize-policy': MaterializePolicyJob;
  'device-activated': DeviceEventJob;
  'device-deactivated': DeviceEventJob;
  'policy-required-notice': PolicyRequiredNoticeJob;
  'deadline-reminder': DeadlineReminderJob;
  'materialize-deadlines': Record<string, never>;
  'expire-exemptions': Record<string, never>;
  'send-reminders': Record<string, never>;
  'reconcile-policy-versions': Record<string, never>;
  'snapshot-compliance': Record<string, never>;
  'rollout-progress': RolloutProgressJob;
  'record-audit-event': AuditEventJob;
  'send-sms': SmsDeliveryJob;
  'sweep-pending-devices': Record<string, never>;
  'sweep-sms-outbox': Record<string, never>;
}
