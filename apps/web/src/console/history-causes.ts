import type { HistoryCause, HistoryCauseType } from '@mfa/contracts';

/** How the member page names each cause of a change of state (docs/enforcement.md, "History"). */
export const CAUSE_LABELS: Record<HistoryCauseType, string> = {
  account_created: 'Member added',
  history_started: 'History starts',
  policy_version: 'Policy version',
  device_enabled: 'Device enabled',
  device_removed: 'Device removed',
  device_reset: 'Device reset by an admin',
  exemption_set: 'Exemption set',
  exemption_removed: 'Exemption removed by an admin',
  exemption_expired: 'Exemption ended',
  deadline_passed: 'Grace deadline passed',
  group_joined: 'Joined a group',
  group_left: 'Left a group',
  group_policy: 'Group policy changed',
};

/** "Policy version 3", "Device enabled (totp-…)"; an unknown type (a newer service) is shown as sent. */
export function describeCause(cause: HistoryCause): string {
  const label = CAUSE_LABELS[cause.type] ?? cause.type;
  if (!cause.id) return label;
  return cause.type === 'policy_version' ? `${label} ${cause.id}` : `${label} (${cause.id})`;
}
