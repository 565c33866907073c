import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { OrganizationEntity } from '../database/entities/organization.entity';

/** Every query on org.organizations. */
@Injectable()
export class OrgRepository {
  constructor(private readonly dataSource: DataSource) {}

  async insert(name: string, manager: EntityManager = this.dataSource.manager): Promise<OrganizationEntity> {
    const repo = manager.getRepository(OrganizationEntity);
    return repo.save(repo.create({ id: randomUUID(), name }));
  }

  findById(id: string): Promise<OrganizationEntity | null> {
    return this.dataSource.getRepository(OrganizationEntity).findOneBy({ id });
  }

  /** One transaction for several repositories' writes. */
  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }
}
