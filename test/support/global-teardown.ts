import { dropDatabase } from '@mfa/database';

export default async function globalTeardown(): Promise<void> {
  const url = (globalThis as { __TEST_DATABASE_URL__?: string }).__TEST_DATABASE_URL__;
  if (url && !process.env.KEEP_TEST_DB) await dropDatabase(url);
}
