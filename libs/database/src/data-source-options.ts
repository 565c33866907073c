import type { DataSourceOptions } from 'typeorm';

export interface ServiceDataSourceInput {
  url: string;
  /** the Postgres schema the service owns; no service reads another's */
  schema: string;
  entities: DataSourceOptions['entities'];
  migrations: DataSourceOptions['migrations'];
  poolSize?: number;
}

/** Connections each service's pool keeps open however idle it is. */
const POOL_MIN_IDLE = 2;
/** How long a query waits for a pooled or new connection before failing. */
const CONNECTION_TIMEOUT_MS = 10_000;

/** TypeORM options shared by every service: own schema, migrations only, never synchronize. */
export function serviceDataSourceOptions(input: ServiceDataSourceInput): DataSourceOptions {
  const max = input.poolSize ?? 10;
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
      max,
      // kept open when idle, so a burst after a quiet spell (the audit writes that end two bulk
      // imports) does not open new connections in the request path
      min: Math.min(POOL_MIN_IDLE, max),
      // fail when Postgres is unreachable instead of queueing requests forever, but not because
      // this process was busy: the timer runs on our event loop and fires the moment a stall ends,
      // before the connection's answer is read. One 10,000-row import is ~1 s of synchronous
      // validation per service, several seconds on a busy machine; 3 s failed imports with a 500.
      connectionTimeoutMillis: CONNECTION_TIMEOUT_MS,
      options: `-c search_path=${input.schema},public`,
    },
  };
}
