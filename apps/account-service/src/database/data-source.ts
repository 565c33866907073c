import type { DataSourceOptions } from 'typeorm';
import { serviceDataSourceOptions } from '@mfa/database';
import { AccountEntity } from './entities/account.entity';
import { CreateAccounts1795900100000 } from './migrations/1795900100000-CreateAccounts';
import { AddEnforcement1796018400000 } from './migrations/1796018400000-AddEnforcement';
import { CreateComplianceTables1796100000000 } from './migrations/1796100000000-CreateComplianceTables';
import { NotificationDedupeKey1796200000000 } from './migrations/1796200000000-NotificationDedupeKey';
import { CreateServiceKeys1796400000000 } from './migrations/1796400000000-CreateServiceKeys';
import { SessionRevocations1796410000000 } from './migrations/1796410000000-SessionRevocations';
import { SecureMethodsOnly1796800000000 } from './migrations/1796800000000-SecureMethodsOnly';
import { CreateGroups1797300000000 } from './migrations/1797300000000-CreateGroups';

/** The Postgres schema account-service owns. No other service reads it. */
export const SCHEMA = 'accounts';

export const ENTITIES: Function[] = [AccountEntity];
/** Append only, in timestamp order; a committed migration is never edited. */
export const MIGRATIONS: Function[] = [
  CreateAccounts1795900100000,
  AddEnforcement1796018400000,
  CreateComplianceTables1796100000000,
  NotificationDedupeKey1796200000000,
  CreateServiceKeys1796400000000,
  SessionRevocations1796410000000,
  SecureMethodsOnly1796800000000,
  CreateGroups1797300000000,
];

export function dataSourceOptions(url: string): DataSourceOptions {
  return serviceDataSourceOptions({ url, schema: SCHEMA, entities: ENTITIES, migrations: MIGRATIONS });
}
