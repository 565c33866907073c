import type { DataSourceOptions } from 'typeorm';

export interface ServiceDataSourceInput {
  url: string;
  /** the Postgres schema the service owns; no service reads another's */
  schema: string;
  entities: DataSourceOptions['entities'];
  migrations: DataSourceOptions['migrations'];
  poolSize?: number;
}

/** TypeORM options shared by every service: own schema, migrations only, never synchronize. */
export function serviceDataSourceOptions(input: ServiceDataSourceInput): DataSourceOptions {
  return {
    type: 'postgres',
    url: input.url,
    schema: input.schema,
    entities: input.entities,
    migrations: input.migrations,
    migrationsTableName: 'migrations',
    migrationsRun: false,
    synchronize: false,
    logging: false,
    extra: {
      max: input.poolSize ?? 10,
      // fail fast when Postgres is unreachable instead of queueing requests forever
      connectionTimeoutMillis: 3000,
      options: `-c search_path=${input.schema},public`,
    },
  };
}
