import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { MfaCondition, MfaMethod } from '@mfa/contracts';
import { type Db, one } from '../common/db';

export interface OrgPolicyRow {
  org_id: string;
  version: number;
  require_mfa: boolean;
  allowed_methods: MfaMethod[];
  secure_methods_only: boolean;
}

@Injectable()
export class OrgPolicyRepository {
  constructor(private readonly dataSource: DataSource) {}

  find(db: Db, orgId: string): Promise<OrgPolicyRow | null> {
    return one<OrgPolicyRow>(
      db,
      `SELECT org_id, version, require_mfa, allowed_methods, secure_methods_only FROM mfa.org_policies WHERE org_id = $1`,
      [orgId],
    );
  }

  /** The org's per-action conditions (none without a row); read apart from `find`, which the device paths call. */
  async conditions(orgId: string): Promise<MfaCondition[]> {
    const row = await one<{ conditions: MfaCondition[] }>(this.dataSource, `SELECT conditions FROM mfa.org_policies WHERE org_id = $1`, [
      orgId,
    ]);
    return row?.conditions ?? [];
  }

  /** Upsert that never goes back to an older version; answers the version stored afterwards. */
  async apply(
    p: {
      orgId: string;
      version: number;
      requireMfa: boolean;
      allowedMethods: MfaMethod[];
      secureMethodsOnly: boolean;
      conditions: MfaCondition[];
    },
    now: Date,
  ): Promise<number> {
    const r = await one<{ version: number }>(
      this.dataSource,
      `WITH up AS (
         INSERT INTO mfa.org_policies AS o (org_id, version, require_mfa, allowed_methods, secure_methods_only, conditions, updated_at)
         VALUES ($1, $2, $3, $4, $6, $7::jsonb, $5)
         ON CONFLICT (org_id) DO UPDATE SET version = EXCLUDED.version, require_mfa = EXCLUDED.require_mfa,
                allowed_methods = EXCLUDED.allowed_methods, secure_methods_only = EXCLUDED.secure_methods_only,
                conditions = EXCLUDED.conditions, updated_at = EXCLUDED.updated_at
          WHERE o.version < EXCLUDED.version
         RETURNING version)
       SELECT COALESCE((SELECT version FROM up), (SELECT version FROM mfa.org_policies WHERE org_id = $1)) AS version`,
      [p.orgId, p.version, p.requireMfa, p.allowedMethods, now, p.secureMethodsOnly, JSON.stringify(p.conditions)],
    );
    return r!.version;
  }
}
