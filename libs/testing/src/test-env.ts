/**
 * Where tests put their data: a database per test run and a Redis database of their own.
 * TEST_REDIS_DB lets people run suites side by side without flushing each other.
 */
export const TEST_PG_ADMIN_URL = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432';
export const TEST_REDIS_DB = Number(process.env.TEST_REDIS_DB ?? 11);
export const TEST_REDIS_URL = `redis://127.0.0.1:6379/${TEST_REDIS_DB}`;
