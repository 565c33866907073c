import type { DataSourceOptions } from 'typeorm';
import { serviceDataSourceOptions } from '@mfa/database';

/** The Postgres schema account-service owns. No other service reads it. */
export const SCHEMA = 'accounts';

export const ENTITIES: Function[] = [];
export const MIGRATIONS: Function[] = [];

export function dataSourceOptions(url: string): DataSourceOptions {
  return serviceDataSourceOptions({ url, schema: SCHEMA, entities: ENTITIES, migrations: MIGRATIONS });
}
