/**
 * Rollout materialization vs one raw UPDATE of the same rows, on its own (P2 of `npm run bench`
 * runs the same measurement, bench/rollout.bench.ts): `npx tsc -p tsconfig.bench.json &&
 * npx tsc-alias -p tsconfig.bench.json && node dist/bench/rollout.js [members] [reps] [off]`
 * (defaults 100000, 3). Own database (mfa_rollout_bench, reset first) and Redis database 14
 * (flushed first).
 */
import 'reflect-metadata';
import { Redis } from 'ioredis';
import { dropDatabase } from '@mfa/database';
import { migrateAll } from '../tools/migrate';
import { rolloutVsRawUpdate } from './rollout.bench';
import { markdownTable } from './lib/stats';

const members = Number(process.argv[2] ?? 100_000);
const reps = Number(process.argv[3] ?? 3);
const requireMfa = process.argv[4] !== 'off';
const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/mfa_rollout_bench';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/14';

async function main(): Promise<void> {
  await dropDatabase(DATABASE_URL);
  await migrateAll(DATABASE_URL);
  const redis = new Redis(REDIS_URL);
  await redis.flushdb();
  redis.disconnect();
  const { rows } = await rolloutVsRawUpdate({
    databaseUrl: DATABASE_URL,
    redisUrl: REDIS_URL,
    members,
    reps,
    requireMfa,
    log: (l) => console.log(l),
  });
  console.log(markdownTable(rows));
  await dropDatabase(DATABASE_URL);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
