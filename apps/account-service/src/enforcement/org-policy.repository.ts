import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { MfaCondition, MfaMethod, MfaPolicy } from '@mfa/contracts';
import { defaultOrgPolicy, type OrgPolicyState } from './compute-enforcement';

export interface OrgPolicyRow {
  org_id: string;
  version: number;
  require_mfa: boolean;
  grace_period_hours: number;
  allowed_methods: MfaMethod[];
  max_mfa_age_seconds: number | null;
  secure_methods_only: boolean;
  conditions: MfaCondition[];
  required_since: Date | null;
  policy_updated_at: Date | null;
  has_group_policies?: boolean;
}

export const ORG_POLICY_COLUMNS =
  'org_id, version, require_mfa, grace_period_hours, allowed_methods, max_mfa_age_seconds, secure_methods_only, conditions, required_since, policy_updated_at, has_group_policies';

/**
 * The same columns of a `LEFT JOIN accounts.org_policies p` (org_id comes from the account),
 * except `conditions`: up to 20 x 20 patterns that only accounts.authorize reads, so a query
 * listing members does not carry them on every row (findWithPolicy selects `p.conditions` for a
 * request that names an action).
 */
export const JOINED_POLICY_COLUMNS =
  'p.version, p.require_mfa, p.grace_period_hours, p.allowed_methods, p.max_mfa_age_seconds, p.secure_methods_only, p.required_since, p.policy_updated_at, p.has_group_policies';

/** A row (or the columns of a joined `p.*`) as the rule reads it; no row = the default policy. */
export function toOrgPolicyState(orgId: string, row: Partial<OrgPolicyRow> | null | undefined): OrgPolicyState {
  const fallback = defaultOrgPolicy(orgId);
  if (!row || row.version === null || row.version === undefined) return fallback;
  return {
    orgId,
    version: Number(row.version),
    requireMfa: !!row.require_mfa,
    gracePeriodHours: Number(row.grace_period_hours ?? fallback.gracePeriodHours),
    allowedMethods: row.allowed_methods ?? fallback.allowedMethods,
    maxMfaAgeSeconds: row.max_mfa_age_seconds ?? null,
    secureMethodsOnly: !!row.secure_methods_only,
    conditions: row.conditions ?? [],
    requiredSince: row.required_since ? new Date(row.required_since) : null,
    updatedAt: row.policy_updated_at ? new Date(row.policy_updated_at) : null,
    hasGroupPolicies: !!row.has_group_policies,
  };
}

/**
 * The upsert's update of a stored policy (org_policies, group_policies, aliased `o`) by a newer
 * version, never an older or equal one: requiredSince is the new version's time when MFA turns
 * on, kept while it stays on, null when it is off (docs/enforcement.md).
 */
export const NEWER_POLICY_UPDATE = `
         version = EXCLUDED.version,
         require_mfa = EXCLUDED.require_mfa,
         grace_period_hours = EXCLUDED.grace_period_hours,
         allowed_methods = EXCLUDED.allowed_methods,
         max_mfa_age_seconds = EXCLUDED.max_mfa_age_seconds,
         secure_methods_only = EXCLUDED.secure_methods_only,
         conditions = EXCLUDED.conditions,
         required_since = CASE WHEN NOT EXCLUDED.require_mfa THEN NULL
                               WHEN o.require_mfa THEN COALESCE(o.required_since, EXCLUDED.required_since)
                               ELSE EXCLUDED.required_since END,
         policy_updated_at = EXCLUDED.policy_updated_at,
         updated_at = now()
       WHERE o.version < EXCLUDED.version`;

/** Every query on accounts.org_policies. */
@Injectable()
export class OrgPolicyRepository {
  constructor(private readonly dataSource: DataSource) {}

  async get(orgId: string): Promise<OrgPolicyState> {
    const rows: OrgPolicyRow[] = await this.dataSource.query(`SELECT ${ORG_POLICY_COLUMNS} FROM accounts.org_policies WHERE org_id = $1`, [
      orgId,
    ]);
    return toOrgPolicyState(orgId, rows[0]);
  }

  /**
   * Stores `policy` unless the org already has this version or a newer one (never goes back).
   * requiredSince: the policy's own time when MFA turns on, kept while it stays on, null when off.
   * Returns the stored policy after the call, and whether this call changed it.
   */
  async applyIfNewer(policy: MfaPolicy): Promise<{ changed: boolean; policy: OrgPolicyState }> {
    const at = policy.updatedAt ?? new Date().toISOString();
    // the stored version is also written as ONE org-level row of org_policy_versions, in the same
    // statement (the history merges it into every member's on read: no per-member write)
    const rows: OrgPolicyRow[] = await this.dataSource.query(
      `WITH stored AS (
       INSERT INTO accounts.org_policies AS o
         (org_id, version, require_mfa, grace_period_hours, allowed_methods, max_mfa_age_seconds, secure_methods_only, conditions, required_since, policy_updated_at, updated_at)
       VALUES ($1, $2, $3, $4, $5::text[], $6, $8, $9::jsonb, CASE WHEN $3 THEN $7::timestamptz END, $7::timestamptz, now())
       ON CONFLICT (org_id) DO UPDATE SET ${NEWER_POLICY_UPDATE}
       RETURNING ${ORG_POLICY_COLUMNS}),
       versioned AS (
       INSERT INTO accounts.org_policy_versions (org_id, version, require_mfa, grace_period_hours, secure_methods_only, required_since, at)
       SELECT org_id, version, require_mfa, grace_period_hours, secure_methods_only, required_since, policy_updated_at FROM stored
       ON CONFLICT (org_id, version) DO NOTHING)
       SELECT ${ORG_POLICY_COLUMNS} FROM stored`,
      [
        policy.orgId,
        policy.version,
        policy.requireMfa,
        policy.gracePeriodHours,
        policy.allowedMethods,
        policy.maxMfaAgeSeconds,
        at,
        policy.secureMethodsOnly ?? false,
        // a hand-over from before conditions existed: none
        JSON.stringify(policy.conditions ?? []),
      ],
    );
    if (rows[0]) return { changed: true, policy: toOrgPolicyState(policy.orgId, rows[0]) };
    return { changed: false, policy: await this.get(policy.orgId) };
  }
}
