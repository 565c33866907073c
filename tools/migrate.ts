import 'reflect-metadata';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { BaseEnv, loadConfig } from '@mfa/config';
import { ensureDatabase, ensureSchema } from '@mfa/database';
import * as orgDb from '../apps/org-service/src/database/data-source';
import * as accountDb from '../apps/account-service/src/database/data-source';
import * as mfaDb from '../apps/mfa-service/src/database/data-source';

const SERVICES: Array<{ SCHEMA: string; dataSourceOptions(url: string): DataSourceOptions }> = [orgDb, accountDb, mfaDb];

/** Creates the database if needed, then creates or updates every service's schema. */
export async function migrateAll(url: string, log: (line: string) => void = () => undefined): Promise<void> {
  await ensureDatabase(url);
  for (const service of SERVICES) {
    await ensureSchema(url, service.SCHEMA);
    const dataSource = new DataSource(service.dataSourceOptions(url));
    await dataSource.initialize();
    try {
      const ran = await dataSource.runMigrations({ transaction: 'each' });
      log(`${service.SCHEMA}: ${ran.length ? ran.map((m) => m.name).join(', ') : 'up to date'}`);
    } finally {
      await dataSource.destroy();
    }
  }
}

if (require.main === module) {
  const env = loadConfig(BaseEnv);
  migrateAll(env.DATABASE_URL, (line) => console.log(line)).then(
    () => console.log('migrations done'),
    (err) => {
      console.error(`migration failed: ${(err as Error).message}`);
      process.exit(1);
    },
  );
}
