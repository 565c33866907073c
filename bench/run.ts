/**
 * The benchmarks: `npm run bench` (small sizes, a few minutes) or `npm run bench -- --full`.
 * Each figure is printed next to a baseline measured in the same run on the same machine.
 * Services run as real processes from dist/ against a database and a Redis database of their
 * own (mfa_bench, Redis db 8), which are reset first.
 */
import 'reflect-metadata';
import { cpus, loadavg, totalmem } from 'node:os';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bus, BusClient, clusterAuthFromEnv, clusterUrl, createRedis, masters, platformCredentialsFromEnv } from '@mfa/bus';
import { dropDatabase } from '@mfa/database';
import { migrateAll } from '../tools/migrate';
import { sequentialLatency, throughput } from './bus-load.bench';
import { checkCost } from './check-cost.bench';
import { validationCost } from './verify-validation.bench';
import { webauthnCost } from './webauthn-cost.bench';
import { AdminApi, addMembers, createOrg, enrollTotp } from './lib/fixture';
import { groupPolicyEffect } from './group-policy.bench';
import { policyPreview } from './policy-preview.bench';
import { policyPush, waitRollout } from './policy-push.bench';
import { rolloutEndToEnd } from './rollout-e2e.bench';
import { rolloutVsRawUpdate } from './rollout.bench';
import { trustCosts } from './trust.bench';
import { webPages } from './web-pages.bench';
import { CommandCounter } from './lib/command-counts';
import { ServiceProcess, type ServiceName } from './lib/service-process';
import { fmt, markdownTable, timed, type BenchRow } from './lib/stats';

const full = process.argv.includes('--full');
const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
/**
 * `--only=p1,p2`: run some figures only (m = M1/M2; p6 comes with p3, p7b with p7; p2e = a rollout end to end over HTTP
 * against a raw UPDATE of a narrow table, with p2 or alone; not in the default set: p9 = the policy
 * preview, p9g = p9 then the same org with a group policy, p10 = a group policy's effect, w1 = the console's members page)
 */
const only = new Set((arg('only') ?? 'm,p1,p2,p3,p4,p5,p7,p8').toLowerCase().split(','));
const SIZES = full
  ? {
      enrolled: 20_000,
      sequential: 5_000,
      pageMembers: 1_000_000,
      bigOrg: 1_000_000,
      rolloutReps: 1,
      checks: 1_000_000,
      trustVerifies: 5_000,
    }
  : { enrolled: 5_000, sequential: 2_000, pageMembers: 100_000, bigOrg: 100_000, rolloutReps: 5, checks: 200_000, trustVerifies: 2_000 };
if (arg('members')) SIZES.bigOrg = Number(arg('members'));
/** W1: members of the org whose console pages are timed, and samples per page */
const WEB = { members: Number(arg('web-members') ?? (full ? 1_000_000 : 100_000)), samples: Number(arg('web-samples') ?? 30) };
if (arg('reps')) SIZES.rolloutReps = Number(arg('reps'));
if (arg('verifies')) SIZES.enrolled = Number(arg('verifies'));
if (arg('sequential')) SIZES.sequential = Number(arg('sequential'));
/** P7/P8: verifies per phase (two sets of org B accounts this size are enrolled) */
if (arg('trust-verifies')) SIZES.trustVerifies = Number(arg('trust-verifies'));
/** P8: org A's flooding accounts and requests in flight */
const FLOOD = { accounts: Number(arg('flood-accounts') ?? 2000), inFlight: Number(arg('flood-in-flight') ?? 100) };
const P1_SAMPLES = 50;
/** P10: members of the group (default a tenth of --members) */
const GROUP_MEMBERS = Number(arg('group-members') ?? Math.round(SIZES.bigOrg / 10));
/** P2e: reps of the end-to-end rollout (each a fresh org) */
const P2E_REPS = Number(arg('p2e-reps') ?? (full ? 1 : 3));
/** P9: timed previews after a warm-up */
const PREVIEW_REPS = Number(arg('preview-reps') ?? 5);

const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/mfa_bench';
/**
 * BENCH_REDIS_CLUSTER_NODES=host:port,... runs the services, the bus and the load on a Redis
 * Cluster instead (`scripts/redis-cluster.sh start`), with BENCH_BUS_PARTITIONS request streams
 * per service (default 3: one per master of the loopback cluster). Meant for P3/P4.
 */
const CLUSTER_NODES = process.env.BENCH_REDIS_CLUSTER_NODES ?? '';
const BUS_PARTITIONS = CLUSTER_NODES ? (process.env.BENCH_BUS_PARTITIONS ?? '3') : '1';
const REDIS_URL = CLUSTER_NODES
  ? clusterUrl(CLUSTER_NODES, clusterAuthFromEnv())
  : (process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/8');
const PLATFORM_API_KEY = 'bench-platform-key-0123456789abcdef0123456789';

async function flushRedis(): Promise<void> {
  const redis = createRedis(REDIS_URL);
  // a cluster: every master holds a share of the keys
  await Promise.all(masters(redis).map((node) => node.flushdb()));
  redis.disconnect();
}

async function main(): Promise<void> {
  const rows: BenchRow[] = [];
  const log = (line: string) => console.error(`[bench] ${new Date().toISOString().slice(11, 19)} ${line}`);
  const began = Date.now();
  const loadAtStart = loadavg();
  await dropDatabase(DATABASE_URL);
  await migrateAll(DATABASE_URL);
  await flushRedis();

  // in-process figures first, while nothing else runs
  if (only.has('p5')) {
    log(`P5 CPU cost of one code check, n=${SIZES.checks}`);
    rows.push(...checkCost(SIZES.checks).rows);
  }
  if (only.has('p5') || only.has('p5v')) {
    log('P5v CPU cost of validating one mfa.verify, n=20000');
    rows.push(...(await validationCost(20_000)));
  }
  if (only.has('p5') || only.has('p5w')) {
    log('P5w CPU cost of one WebAuthn assertion check, n=2000');
    rows.push(...(await webauthnCost(2000)));
  }
  if (only.has('p2')) {
    // its own account-service in this process: before the service processes start, so no other
    // instance takes its jobs
    log(`P2 rollout of ${SIZES.bigOrg} members vs raw UPDATE, ${SIZES.rolloutReps} rep(s)`);
    rows.push(
      ...(await rolloutVsRawUpdate({ databaseUrl: DATABASE_URL, redisUrl: REDIS_URL, members: SIZES.bigOrg, reps: SIZES.rolloutReps, log }))
        .rows,
    );
    await flushRedis();
  }
  const needServices = ['m', 'p1', 'p2', 'p2e', 'p3', 'p4', 'p7', 'p8', 'p9', 'p9g', 'p10', 'w1'].some((k) => only.has(k));

  const env = {
    NODE_ENV: 'development',
    DATABASE_URL,
    ...(CLUSTER_NODES ? { REDIS_CLUSTER_NODES: CLUSTER_NODES } : { REDIS_URL }),
    BUS_PARTITIONS,
    PLATFORM_API_KEY,
    LOG_LEVEL: 'warn',
    KEYS_DIR: mkdtempSync(join(tmpdir(), 'mfa-bench-keys-')),
  };
  const start = (name: ServiceName) => ServiceProcess.start(name, env);
  const services: ServiceProcess[] = [];
  const client = new BusClient({
    redisUrl: REDIS_URL,
    timeoutMs: 30_000,
    partitions: Number(BUS_PARTITIONS),
    credentials: platformCredentialsFromEnv('bench', env),
  });
  if (needServices) {
    services.push(await start('org-service'), await start('account-service'), await start('mfa-service'));
    await client.connect();
  }
  const bus = new Bus(client);
  try {
    if (needServices) await serviceFigures();
  } finally {
    if (needServices) await client.close();
    await Promise.all(services.map((s) => s.stop()));
  }

  async function serviceFigures(): Promise<void> {
    const platform = new AdminApi(`http://127.0.0.1:${services[0].port}`, PLATFORM_API_KEY);
    await new Promise((r) => setTimeout(r, 1000));
    const idle = new Map(services.map((s) => [s.pid, s.rssMb()]));

    if (only.has('m')) {
      log(`members: bulk add 10,000, then page through ${SIZES.pageMembers}`);
      const { orgId: pagedOrg, admin: pagedAdmin } = await createOrg(platform, 'paging');
      const bulk = await timed(() =>
        pagedAdmin.call('POST', `/v1/orgs/${pagedOrg}/members/bulk`, {
          members: Array.from({ length: 10_000 }, (_, i) => ({ email: `b${i}@bench.example` })),
        }),
      );
      const paging = await timed(() => addMembers(pagedAdmin, pagedOrg, SIZES.pageMembers - 10_000, 'p'));
      rows.push({
        id: 'M1',
        what: 'bulk add of 10,000 members (one call)',
        figure: `${fmt(bulk.ms, 0)} ms`,
        baseline: '-',
        ratio: '-',
        goal: '-',
        met: null,
      });
      rows.push({
        id: 'M2',
        what: `add ${SIZES.pageMembers - 10_000} more in 10k calls, then page through all ${paging.value.length} (limit 1000)`,
        figure: `${fmt(paging.ms / 1000)} s`,
        baseline: '-',
        ratio: '-',
        goal: '-',
        met: null,
      });
    }

    if (only.has('p1')) {
      log(`P1 policy PUT -> authorize, org of ${SIZES.bigOrg} members`);
      const { orgId: bigOrg, admin: bigAdmin } = await createOrg(platform, 'policy-push');
      const p1 = await policyPush(bus, bigAdmin, bigOrg, { databaseUrl: DATABASE_URL, members: SIZES.bigOrg, samples: P1_SAMPLES });
      rows.push(...p1.rows);
      // the rollout keeps Postgres busy: let it finish before the next figures
      const done = await waitRollout(bigAdmin, bigOrg, p1.rolloutId);
      log(`P1 rollout completed (${done.total} members) ${fmt(done.ms / 1000)} s after the samples flipped`);
    }

    if (only.has('p2') || only.has('p2e')) {
      log(`P2e rollout end to end (PUT -> completed over HTTP), org of ${SIZES.bigOrg} members, ${P2E_REPS} rep(s)`);
      rows.push(
        ...(
          await rolloutEndToEnd(() => createOrg(platform, 'rollout-e2e'), {
            databaseUrl: DATABASE_URL,
            members: SIZES.bigOrg,
            reps: P2E_REPS,
            log,
          })
        ).rows,
      );
    }

    if (only.has('p10')) {
      log(`P10 group policy PUT -> authorize, group of ${GROUP_MEMBERS} in an org of ${SIZES.bigOrg} members`);
      const { orgId: groupOrg, admin: groupAdmin } = await createOrg(platform, 'group-policy');
      rows.push(
        ...(
          await groupPolicyEffect(bus, groupAdmin, groupOrg, {
            databaseUrl: DATABASE_URL,
            members: SIZES.bigOrg,
            groupMembers: GROUP_MEMBERS,
            samples: P1_SAMPLES,
            log,
          })
        ).rows,
      );
    }

    if (only.has('p9') || only.has('p9g')) {
      log(`P9 policy preview, org of ${SIZES.bigOrg} members${only.has('p9g') ? ', then with a group policy for a tenth' : ''}`);
      const { orgId: previewOrg, admin: previewAdmin } = await createOrg(platform, 'preview');
      rows.push(
        ...(
          await policyPreview(previewAdmin, previewOrg, {
            databaseUrl: DATABASE_URL,
            members: SIZES.bigOrg,
            reps: PREVIEW_REPS,
            log,
            groupEvery: only.has('p9g') ? 10 : undefined,
          })
        ).rows,
      );
    }

    if (only.has('p3') || only.has('p4')) {
      const want = (only.has('p3') ? SIZES.enrolled * 2 : 0) + (only.has('p4') ? SIZES.sequential : 0);
      log(`enrolling ${want} TOTP devices over the bus`);
      const { orgId, admin } = await createOrg(platform, 'verify');
      const ids = await addMembers(admin, orgId, want, 'v');
      const enrolled = await enrollTotp(bus, ids);
      const p3 = only.has('p3') ? SIZES.enrolled * 2 : 0;
      const mfaInstances = () => services.filter((s) => s.name === 'mfa-service');
      const [oneInstance, twoInstances, sequential] = [
        enrolled.slice(0, SIZES.enrolled),
        enrolled.slice(SIZES.enrolled, p3),
        enrolled.slice(p3),
      ];

      if (only.has('p4')) {
        log('P4 sequential latency');
        rows.push(...(await sequentialLatency(bus, sequential, mfaInstances())).rows);
      }
      if (only.has('p3')) {
        const peaks = new Map<number, string[]>();
        const p6 = () => services.forEach((s) => peaks.set(s.pid, [...(peaks.get(s.pid) ?? []), `${fmt(s.peakRssMb(), 0)} MB`]));
        log('P3 throughput, one mfa-service instance');
        services.forEach((s) => s.resetPeakRss());
        const counter = new CommandCounter(REDIS_URL, () => services.filter((s) => s.name === 'mfa-service').map((s) => s.pid));
        rows.push(...(await throughput(bus, oneInstance, 'one instance', mfaInstances(), counter)).rows);
        p6();
        log('P3 throughput, two mfa-service instances');
        const second = await start('mfa-service');
        services.push(second);
        await new Promise((r) => setTimeout(r, 1000));
        idle.set(second.pid, second.rssMb());
        peaks.set(second.pid, ['-']);
        services.forEach((s) => s.resetPeakRss());
        rows.push(...(await throughput(bus, twoInstances, 'two instances', mfaInstances(), counter)).rows);
        counter.close();
        p6();
        for (const s of services) {
          const worst = s.peakRssMb();
          rows.push({
            id: 'P6',
            what: `peak RSS of ${s.name} (pid ${s.pid}) under P3 load: one instance / two instances`,
            figure: (peaks.get(s.pid) ?? []).join(' / '),
            baseline: `idle after boot ${fmt(idle.get(s.pid) ?? NaN, 0)} MB`,
            ratio: `${fmt(worst / (idle.get(s.pid) ?? NaN))}x idle`,
            goal: '<= 200 MB',
            met: Math.max(...(peaks.get(s.pid) ?? []).filter((x) => x !== '-').map((x) => Number(x.split(' ')[0]))) <= 200,
          });
        }
        // the figures after this one run with one mfa-service instance
        await second.stop();
        services.splice(services.indexOf(second), 1);
      }
    }

    if (only.has('w1')) {
      // the web app as its own process, calling this run's org-service like any deployment
      const web = await ServiceProcess.start('web', { ...env, ORG_API_URL: `http://127.0.0.1:${services[0].port}` });
      try {
        const { orgId, admin } = await createOrg(platform, 'web-pages');
        rows.push(
          ...(await webPages({
            webUrl: `http://127.0.0.1:${web.port}`,
            admin,
            orgId,
            databaseUrl: DATABASE_URL,
            members: WEB.members,
            samples: WEB.samples,
            log,
          })),
        );
      } finally {
        await web.stop();
      }
    }

    if (only.has('p7') || only.has('p8')) {
      rows.push(
        ...(
          await trustCosts({
            services,
            platform,
            platformBus: bus,
            redisUrl: REDIS_URL,
            verifies: SIZES.trustVerifies,
            floodAccounts: FLOOD.accounts,
            floodInFlight: FLOOD.inFlight,
            only,
            log,
          })
        ).rows,
      );
    }
  }

  const flags = process.argv.slice(2).join(' ');
  console.log(
    `\n## Results (${full ? 'full' : 'small'} sizes${flags ? `, flags \`${flags}\`` : ''}, ${new Date().toISOString()}, ${fmt((Date.now() - began) / 60000, 1)} min)\n`,
  );
  console.log(`Machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${fmt(totalmem() / 2 ** 30, 0)} GiB, Node ${process.version}`);
  const load = (l: number[]) => l.map((x) => fmt(x)).join(', ');
  console.log(`Load average (1, 5, 15 min) at the start: ${load(loadAtStart)}; at the end: ${load(loadavg())}\n`);
  console.log(markdownTable(rows));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
