import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { affected, type Db, one } from '@mfa/database';
import { ApiKeyEntity } from '../database/entities/api-key.entity';

const COLUMNS = 'id, org_id AS "orgId", role, label, key_hash AS "keyHash", created_at AS "createdAt", revoked_at AS "revokedAt"';

/** Every query on org.api_keys. */
@Injectable()
export class ApiKeyRepository {
  constructor(private readonly dataSource: DataSource) {}

  findById(id: string): Promise<ApiKeyEntity | null> {
    return one<ApiKeyEntity>(this.dataSource, `SELECT ${COLUMNS} FROM org.api_keys WHERE id = $1`, [id]);
  }

  async insert(db: Db, key: Omit<ApiKeyEntity, 'createdAt' | 'revokedAt'>): Promise<ApiKeyEntity> {
    return (await one<ApiKeyEntity>(
      db,
      `INSERT INTO org.api_keys (id, org_id, role, label, key_hash) VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
      [key.id, key.orgId, key.role, key.label, key.keyHash],
    ))!;
  }

  /** Revokes the org's key. 'revoked' now, 'already' revoked before, or 'missing' from this org. */
  async revoke(db: Db, orgId: string, id: string, at: Date): Promise<'revoked' | 'already' | 'missing'> {
    if (
      (await affected(db, `UPDATE org.api_keys SET revoked_at = $3 WHERE org_id = $1 AND id = $2 AND revoked_at IS NULL`, [
        orgId,
        id,
        at,
      ])) > 0
    )
      return 'revoked';
    return (await one(db, `SELECT 1 FROM org.api_keys WHERE org_id = $1 AND id = $2`, [orgId, id])) ? 'already' : 'missing';
  }

  transaction<T>(work: (tx: Db) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }
}
