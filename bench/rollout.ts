/**
 * Rollout materialization vs one raw UPDATE of the same rows: `npx ts-node`-free, run with
 * `npm run build && node dist/bench/rollout.js [members] [reps]` (defaults 100000, 3).
 * Own database (mfa_rollout_bench, reset first) and Redis database 14 (flushed first).
 * Each rep seeds two identical fresh orgs; one gets the raw UPDATE, the other the real
 * materializer (chunks + progress + notice jobs, notifications worker running); order alternates.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { loadConfig } from '@mfa/config';
import { dropDatabase } from '@mfa/database';
import { startService } from '@mfa/observability';
import { migrateAll } from '../tools/migrate';
import { accountServiceApp } from '../apps/account-service/src/account-service.app';
import { AccountServiceEnv } from '../apps/account-service/src/config/account-service.env';
import { OrgPolicyRepository } from '../apps/account-service/src/enforcement/org-policy.repository';
import { MATERIALIZE_SET, policyParams } from '../apps/account-service/src/enforcement/rollout-materializer.repository';
import { RolloutMaterializerService } from '../apps/account-service/src/enforcement/rollout-materializer.service';

const members = Number(process.argv[2] ?? 100_000);
const reps = Number(process.argv[3] ?? 3);
/** `off`: a policy that requires nothing (no notices): isolates the notice cost */
const requireMfa = process.argv[4] !== 'off';
const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/mfa_rollout_bench';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/14';

async function main(): Promise<void> {
  await dropDatabase(DATABASE_URL);
  await migrateAll(DATABASE_URL);
  const redis = new Redis(REDIS_URL);
  await redis.flushdb();
  redis.disconnect();
  const env = loadConfig(AccountServiceEnv, { ...process.env, DATABASE_URL, REDIS_URL, ACCOUNT_SERVICE_PORT: '0', LOG_LEVEL: 'warn', KEYS_DIR: mkdtempSync(join(tmpdir(), 'rollout-bench-')) });
  const svc = await startService(accountServiceApp, env);
  const db = svc.app.get(DataSource);
  const policies = svc.app.get(OrgPolicyRepository);
  const materializer = svc.app.get(RolloutMaterializerService);

  const seed = async () => {
    const orgId = randomUUID();
    await db.query(`INSERT INTO accounts.accounts (org_id, email) SELECT $1, 'm' || g || '@bench.test' FROM generate_series(1, $2) g`, [orgId, members]);
    const { policy } = await policies.applyIfNewer({ orgId, version: 1, requireMfa, gracePeriodHours: 72, allowedMethods: ['totp'], maxMfaAgeSeconds: null, updatedAt: new Date().toISOString() });
    return { orgId, policy };
  };
  const raw = async (o: Awaited<ReturnType<typeof seed>>) => {
    const t = performance.now();
    await db.query(`UPDATE accounts.accounts a SET ${MATERIALIZE_SET} WHERE a.org_id = $1 AND a.policy_version < $4 AND $2::text IS NULL AND $3::int IS NULL`, [o.orgId, null, null, ...policyParams(o.policy)]);
    return performance.now() - t;
  };
  const chunked = async (o: Awaited<ReturnType<typeof seed>>) => {
    const t = performance.now();
    await materializer.run({ orgId: o.orgId, rolloutId: randomUUID(), policyVersion: 1 });
    return performance.now() - t;
  };

  const results: Array<{ raw: number; chunked: number }> = [];
  for (let i = 0; i < reps; i++) {
    const a = await seed();
    const b = await seed();
    await db.query('VACUUM ANALYZE accounts.accounts');
    const r = i % 2 === 0 ? { raw: await raw(a), chunked: await chunked(b) } : { chunked: await chunked(b), raw: await raw(a) };
    results.push(r);
    console.log(`rep ${i + 1}: raw UPDATE ${r.raw.toFixed(0)} ms, materializer ${r.chunked.toFixed(0)} ms, ratio ${(r.chunked / r.raw).toFixed(2)}`);
    // let the notice inserts of this rep finish before the next one is timed
    await new Promise((res) => setTimeout(res, 2000));
  }
  const median = (xs: number[]) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  const mr = median(results.map((r) => r.raw));
  const mc = median(results.map((r) => r.chunked));
  console.log(`${members} members, chunk ${env['ROLLOUT_CHUNK_SIZE' as keyof typeof env] ?? 20000}: median raw ${mr.toFixed(0)} ms, median materializer ${mc.toFixed(0)} ms, ratio ${(mc / mr).toFixed(2)} (goal <= 1.2)`);
  await svc.app.close();
  await dropDatabase(DATABASE_URL);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
