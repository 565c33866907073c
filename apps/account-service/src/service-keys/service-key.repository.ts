import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { ServiceKey, ServiceKeyScope } from '@mfa/contracts';
import { DataSource } from 'typeorm';
import { one, rows } from '@mfa/database';

export interface ServiceKeyRow {
  id: string;
  org_id: string;
  name: string;
  scopes: ServiceKeyScope[];
  salt: Buffer;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const COLUMNS = 'id, org_id, name, scopes, salt, created_at, last_used_at, revoked_at';

export function toServiceKey(r: ServiceKeyRow): ServiceKey {
  return {
    id: r.id,
    orgId: r.org_id,
    name: r.name,
    scopes: r.scopes,
    createdAt: r.created_at.toISOString(),
    lastUsedAt: r.last_used_at?.toISOString() ?? null,
    revokedAt: r.revoked_at?.toISOString() ?? null,
  };
}

/** Every query on accounts.service_keys. */
@Injectable()
export class ServiceKeyRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * The new key, or null when the org already has `max` keys in force (one statement, so no
   * race). Keys revoked more than a week ago go first, and at most 10 x `max` rows are kept per
   * org, so creating and revoking in a loop cannot grow the table without end.
   */
  insert(orgId: string, name: string, scopes: ServiceKeyScope[], max: number): Promise<ServiceKeyRow | null> {
    return one<ServiceKeyRow>(
      this.dataSource,
      `WITH purged AS (
         DELETE FROM accounts.service_keys WHERE org_id = $1 AND revoked_at < now() - interval '7 days' RETURNING 1)
       INSERT INTO accounts.service_keys (org_id, name, scopes, salt)
       SELECT $1, $2, $3, $4
        WHERE (SELECT count(*) FROM accounts.service_keys WHERE org_id = $1 AND revoked_at IS NULL) < $5
          AND (SELECT count(*) FROM accounts.service_keys WHERE org_id = $1) - (SELECT count(*) FROM purged) < 10 * $5
       RETURNING ${COLUMNS}`,
      [orgId, name, scopes, randomBytes(16), max],
    );
  }

  listInOrg(orgId: string): Promise<ServiceKeyRow[]> {
    return rows(this.dataSource, `SELECT ${COLUMNS} FROM accounts.service_keys WHERE org_id = $1 ORDER BY created_at, id`, [orgId]);
  }

  /** The key, revoked now (or when it was revoked before); null when the org has no such key. */
  revoke(orgId: string, id: string): Promise<ServiceKeyRow | null> {
    return one<ServiceKeyRow>(
      this.dataSource,
      `UPDATE accounts.service_keys SET revoked_at = coalesce(revoked_at, now()) WHERE org_id = $1 AND id = $2 RETURNING ${COLUMNS}`,
      [orgId, id],
    );
  }

  /**
   * The keys with these ids; a bus gate asks every couple of seconds for the keys in use, so
   * this is also where `last_used_at` moves (at most once a minute per key).
   */
  findInUse(ids: string[]): Promise<ServiceKeyRow[]> {
    return rows(
      this.dataSource,
      `UPDATE accounts.service_keys SET last_used_at = CASE WHEN revoked_at IS NULL AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute') THEN now() ELSE last_used_at END
        WHERE id = ANY($1::uuid[]) RETURNING ${COLUMNS}`,
      [ids],
    );
  }
}
