/**
 * The benchmarks: `npm run bench` (small sizes, a few minutes) or `npm run bench -- --full`.
 * Each figure is printed next to a baseline measured in the same run on the same machine.
 * Services run as real processes from dist/ against a database and a Redis database of their
 * own (mfa_bench, Redis db 8), which are reset first.
 */
import 'reflect-metadata';
import { cpus, totalmem } from 'node:os';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Bus, BusClient } from '@mfa/bus';
import { dropDatabase } from '@mfa/database';
import { migrateAll } from '../tools/migrate';
import { sequentialLatency, throughput } from './bus-load.bench';
import { AdminApi, addMembers, createOrg, enrollTotp } from './lib/fixture';
import { ServiceProcess, type ServiceName } from './lib/service-process';
import { fmt, markdownTable, timed, type BenchRow } from './lib/stats';

const full = process.argv.includes('--full');
const SIZES = full
  ? { enrolled: 20_000, sequential: 5_000, pageMembers: 1_000_000 }
  : { enrolled: 5_000, sequential: 2_000, pageMembers: 100_000 };

const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/mfa_bench';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/8';
const PLATFORM_API_KEY = 'bench-platform-key-0123456789abcdef0123456789';

async function main(): Promise<void> {
  const rows: BenchRow[] = [];
  const log = (line: string) => console.error(`[bench] ${line}`);
  await dropDatabase(DATABASE_URL);
  await migrateAll(DATABASE_URL);
  const redis = new Redis(REDIS_URL);
  await redis.flushdb();
  redis.disconnect();

  const env = { NODE_ENV: 'development', DATABASE_URL, REDIS_URL, PLATFORM_API_KEY, LOG_LEVEL: 'warn', KEYS_DIR: mkdtempSync(join(tmpdir(), 'mfa-bench-keys-')) };
  const start = (name: ServiceName) => ServiceProcess.start(name, env);
  const services = [await start('org-service'), await start('account-service'), await start('mfa-service')];
  const client = new BusClient({ redisUrl: REDIS_URL, timeoutMs: 30_000 });
  await client.connect();
  const bus = new Bus(client);
  try {
    const platform = new AdminApi(`http://127.0.0.1:${services[0].port}`, PLATFORM_API_KEY);

    log(`members: bulk add 10,000, then page through ${SIZES.pageMembers}`);
    const { orgId: pagedOrg, admin: pagedAdmin } = await createOrg(platform, 'paging');
    const bulk = await timed(() => pagedAdmin.call('POST', `/v1/orgs/${pagedOrg}/members/bulk`, { members: Array.from({ length: 10_000 }, (_, i) => ({ email: `b${i}@bench.example` })) }));
    const paging = await timed(() => addMembers(pagedAdmin, pagedOrg, SIZES.pageMembers - 10_000, 'p'));
    rows.push({ id: 'M1', what: 'bulk add of 10,000 members (one call)', figure: `${fmt(bulk.ms, 0)} ms`, baseline: '-', ratio: '-', goal: '-', met: null });
    rows.push({ id: 'M2', what: `add ${SIZES.pageMembers - 10_000} more in 10k calls, then page through all ${paging.value.length} (limit 1000)`, figure: `${fmt(paging.ms / 1000)} s`, baseline: '-', ratio: '-', goal: '-', met: null });

    log(`enrolling ${SIZES.enrolled * 2 + SIZES.sequential} TOTP devices over the bus`);
    const { orgId, admin } = await createOrg(platform, 'verify');
    const ids = await addMembers(admin, orgId, SIZES.enrolled * 2 + SIZES.sequential, 'v');
    const enrolled = await enrollTotp(bus, ids);
    const [oneInstance, twoInstances, sequential] = [enrolled.slice(0, SIZES.enrolled), enrolled.slice(SIZES.enrolled, SIZES.enrolled * 2), enrolled.slice(SIZES.enrolled * 2)];

    log('P4 sequential latency');
    rows.push(...(await sequentialLatency(bus, sequential)).rows);
    log('P3 throughput, one mfa-service instance');
    rows.push(...(await throughput(bus, oneInstance, 'one instance')).rows);
    log('P3 throughput, two mfa-service instances');
    const second = await start('mfa-service');
    services.push(second);
    rows.push(...(await throughput(bus, twoInstances, 'two instances')).rows);

    for (const s of services) {
      const peak = s.peakRssMb();
      rows.push({ id: 'P6', what: `peak RSS of ${s.name} (pid ${s.pid}) after the load above`, figure: `${fmt(peak, 0)} MB`, baseline: '-', ratio: '-', goal: '<= 200 MB', met: peak <= 200 });
    }
  } finally {
    await client.close();
    await Promise.all(services.map((s) => s.stop()));
  }

  console.log(`\n## Results (${full ? 'full' : 'small'} sizes, ${new Date().toISOString()})\n`);
  console.log(`Machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${fmt(totalmem() / 2 ** 30, 0)} GiB, Node ${process.version}\n`);
  console.log(markdownTable(rows));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
