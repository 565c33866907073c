import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type Db, one } from '@mfa/database';
import { OrganizationEntity } from '../database/entities/organization.entity';

const COLUMNS = 'id, name, created_at AS "createdAt"';

/** Every query on org.organizations. */
@Injectable()
export class OrgRepository {
  constructor(private readonly dataSource: DataSource) {}

  async insert(db: Db, name: string): Promise<OrganizationEntity> {
    return (await one<OrganizationEntity>(db, `INSERT INTO org.organizations (id, name) VALUES ($1, $2) RETURNING ${COLUMNS}`, [
      randomUUID(),
      name,
    ]))!;
  }

  findById(id: string): Promise<OrganizationEntity | null> {
    return one<OrganizationEntity>(this.dataSource, `SELECT ${COLUMNS} FROM org.organizations WHERE id = $1`, [id]);
  }

  /** One transaction for several repositories' writes. */
  transaction<T>(work: (tx: Db) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }
}
