import type { DataSourceOptions } from 'typeorm';
import { serviceDataSourceOptions } from '@mfa/database';
import { ApiKeyEntity } from './entities/api-key.entity';
import { OrganizationEntity } from './entities/organization.entity';
import { CreateOrganizations1795900000000 } from './migrations/1795900000000-CreateOrganizations';
import { CreatePolicyRollouts1796018400000 } from './migrations/1796018400000-CreatePolicyRollouts';
import { CreateAuditEvents1796100000000 } from './migrations/1796100000000-CreateAuditEvents';
import { SecureMethodsOnly1796800000000 } from './migrations/1796800000000-SecureMethodsOnly';
import { PolicyConditions1796900000000 } from './migrations/1796900000000-PolicyConditions';
import { GroupPolicies1797300000000 } from './migrations/1797300000000-GroupPolicies';

/** The Postgres schema org-service owns. No other service reads it. */
export const SCHEMA = 'org';

export const ENTITIES: Function[] = [OrganizationEntity, ApiKeyEntity];
/** Append only, in timestamp order; a committed migration is never edited. */
export const MIGRATIONS: Function[] = [
  CreateOrganizations1795900000000,
  CreatePolicyRollouts1796018400000,
  CreateAuditEvents1796100000000,
  SecureMethodsOnly1796800000000,
  PolicyConditions1796900000000,
  GroupPolicies1797300000000,
];

export function dataSourceOptions(url: string): DataSourceOptions {
  return serviceDataSourceOptions({ url, schema: SCHEMA, entities: ENTITIES, migrations: MIGRATIONS });
}
