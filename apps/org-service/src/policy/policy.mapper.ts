import type { MfaCondition, MfaMethod, MfaPolicy, PolicyRollout, RolloutStatus } from '@mfa/contracts';

export interface PolicyRow {
  org_id: string;
  /** null: the org's own policy; else the group's (versions count per group) */
  group_id?: string | null;
  version: number;
  require_mfa: boolean;
  grace_period_hours: number;
  allowed_methods: MfaMethod[];
  max_mfa_age_seconds: number | null;
  /** absent in a row read before the migration (claimStale's row_to_json of an old row never is) */
  secure_methods_only?: boolean;
  /** absent in a row read before the migration, like secure_methods_only */
  conditions?: MfaCondition[];
  created_at: Date;
}

export interface RolloutRow {
  id: string;
  org_id: string;
  group_id?: string | null;
  policy_version: number;
  status: RolloutStatus;
  total: number;
  applied: number;
  created_at: Date;
  completed_at: Date | null;
}

export function toPolicy(row: PolicyRow): MfaPolicy {
  return {
    orgId: row.org_id,
    version: row.version,
    requireMfa: row.require_mfa,
    gracePeriodHours: row.grace_period_hours,
    allowedMethods: row.allowed_methods,
    maxMfaAgeSeconds: row.max_mfa_age_seconds ?? null,
    secureMethodsOnly: row.secure_methods_only ?? false,
    conditions: row.conditions ?? [],
    updatedAt: new Date(row.created_at).toISOString(),
    ...(row.group_id ? { groupId: row.group_id } : {}),
  };
}

export function toRollout(row: RolloutRow): PolicyRollout {
  return {
    id: row.id,
    orgId: row.org_id,
    policyVersion: row.policy_version,
    status: row.status,
    total: row.total,
    applied: row.applied,
    createdAt: new Date(row.created_at).toISOString(),
    completedAt: row.completed_at ? new Date(row.completed_at).toISOString() : null,
    ...(row.group_id ? { groupId: row.group_id } : {}),
  };
}

/** The conditions to store: only the two fields (the DTO instances carry nothing else), none when absent. */
export function toConditions(conditions: MfaCondition[] | undefined): MfaCondition[] {
  return (conditions ?? []).map((c) => ({ actions: [...c.actions], maxMfaAgeSeconds: c.maxMfaAgeSeconds }));
}
