import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropDatabase } from '@mfa/database';
import { migrateAll } from '../../tools/migrate';
import { flushTestRedis, TEST_CLUSTER_NODES, TEST_PG_ADMIN_URL, TEST_REDIS_URL, testRedis } from '@mfa/testing';

/** Once per `jest` run: a fresh database with every migration, and an empty Redis database. */
export default async function globalSetup(): Promise<void> {
  const name = process.env.TEST_DB_NAME ?? `mfa_test_${process.pid}`;
  const url = `${TEST_PG_ADMIN_URL}/${name}`;
  await dropDatabase(url);
  await migrateAll(url);
  const redis = testRedis();
  await flushTestRedis(redis);
  redis.disconnect();

  // Test files (in this process or in workers spawned after this) read these.
  process.env.NODE_ENV = 'test';
  process.env.DATABASE_URL = url;
  // on a cluster the services read REDIS_CLUSTER_NODES (set by the caller); REDIS_URL must then be unset
  if (TEST_CLUSTER_NODES) delete process.env.REDIS_URL;
  else process.env.REDIS_URL = TEST_REDIS_URL;
  process.env.LOG_LEVEL = process.env.LOG_LEVEL ?? 'silent';
  process.env.KEYS_DIR = mkdtempSync(join(tmpdir(), 'mfa-test-keys-'));
  (globalThis as { __TEST_DATABASE_URL__?: string }).__TEST_DATABASE_URL__ = url;
}
