import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager, IsNull } from 'typeorm';
import { ApiKeyEntity } from '../database/entities/api-key.entity';

/** Every query on org.api_keys. */
@Injectable()
export class ApiKeyRepository {
  constructor(private readonly dataSource: DataSource) {}

  findById(id: string): Promise<ApiKeyEntity | null> {
    return this.dataSource.getRepository(ApiKeyEntity).findOneBy({ id });
  }

  async insert(key: Omit<ApiKeyEntity, 'createdAt' | 'revokedAt'>, manager: EntityManager = this.dataSource.manager): Promise<ApiKeyEntity> {
    const repo = manager.getRepository(ApiKeyEntity);
    return repo.save(repo.create({ ...key, revokedAt: null }));
  }

  /** Revokes the org's key. 'revoked' now, 'already' revoked before, or 'missing' from this org. */
  async revoke(orgId: string, id: string, at: Date, manager: EntityManager = this.dataSource.manager): Promise<'revoked' | 'already' | 'missing'> {
    const repo = manager.getRepository(ApiKeyEntity);
    const result = await repo.update({ orgId, id, revokedAt: IsNull() }, { revokedAt: at });
    if ((result.affected ?? 0) > 0) return 'revoked';
    return (await repo.existsBy({ orgId, id })) ? 'already' : 'missing';
  }

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }
}
