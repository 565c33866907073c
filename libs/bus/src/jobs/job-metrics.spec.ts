import { randomUUID } from 'node:crypto';
import { type DynamicModule, Global, Injectable, Module } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { Registry } from 'prom-client';
import { Apps, type AuditEventJob, Jobs, QUEUE_PREFIX, Queues, type RolloutProgressJob } from '@mfa/contracts';
import { generateInternalKey, InternalKey } from '@mfa/crypto';
import { TEST_REDIS_URL, waitFor } from '@mfa/testing';
import { Queue, WaitingError } from 'bullmq';
import { Redis } from 'ioredis';
import { JobQueues } from '../job-queues';
import { JOB_METRICS, JobMetrics } from './job-metrics';
import { JobsModule } from './jobs.module';
import { type JobContext, OnJob } from './on-job.decorator';

const key = new InternalKey(generateInternalKey());

@Injectable()
class OrgHandlers {
  done = 0;
  requeued = 0;

  @OnJob(Jobs.RolloutProgress)
  async rolloutProgress(p: RolloutProgressJob, ctx: JobContext): Promise<void> {
    if (p.applied === 13) throw new Error('handler failed');
    if (p.applied === 7 && this.requeued++ === 0) {
      // as a rollout walk stopped at shutdown does: back to waiting, not a failure
      await ctx.job.moveToWait(ctx.token);
      throw new WaitingError();
    }
    await new Promise((r) => setTimeout(r, 20));
    this.done++;
  }

  @OnJob(Jobs.RecordAuditEvent)
  async audit(_e: AuditEventJob): Promise<void> {}
}

const progress = (applied: number): RolloutProgressJob => ({
  rolloutId: randomUUID(),
  orgId: randomUUID(),
  policyVersion: 2,
  status: 'running',
  total: 20,
  applied,
  completedAt: null,
});

/** As MetricsModule provides it in the apps: a global module, so JobsModule's workers find it. */
@Global()
@Module({})
class TestMetricsModule {
  static with(metrics: JobMetrics): DynamicModule {
    return { module: TestMetricsModule, providers: [{ provide: JOB_METRICS, useValue: metrics }], exports: [JOB_METRICS] };
  }
}

async function boot(registry: Registry, cacheMs: number, consume = true): Promise<TestingModule> {
  const module = await Test.createTestingModule({
    imports: [
      TestMetricsModule.with(JobMetrics.for(registry, { cacheMs })),
      JobsModule.forApp({ app: Apps.Org, redisUrl: TEST_REDIS_URL, internalKey: key, consume }),
    ],
    providers: [OrgHandlers],
  }).compile();
  await module.init();
  return module;
}

async function value(registry: Registry, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const all = await registry.getMetricsAsJSON();
  // a histogram's _count and _sum sit under the histogram's name
  const metric = all.find((m) => m.name === name) ?? all.find((m) => m.name === name.replace(/_(count|sum)$/, ''));
  const hit = metric?.values.find(
    (v) =>
      ((v as { metricName?: string }).metricName ?? metric.name) === name &&
      Object.entries(labels).every(([k, l]) => String((v.labels as Record<string, unknown>)[k]) === l),
  );
  return hit?.value;
}

describe('job metrics (real jobs on real Redis)', () => {
  let redis: Redis;

  beforeAll(async () => {
    redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    for (const name of [Queues.RolloutProgress, Queues.AuditEvents]) {
      const q = new Queue(name, { connection: redis, prefix: QUEUE_PREFIX });
      await q.obliterate({ force: true });
      await q.close();
    }
  });
  afterAll(() => redis.disconnect());

  it('counts attempts by job name and outcome, times handlers, and reports job counts of the queues the app owns', async () => {
    const registry = new Registry();
    const module = await boot(registry, 0);
    try {
      const jobs = module.get(JobQueues);
      const handlers = module.get(OrgHandlers);
      const raw = new Queue(Queues.RolloutProgress, { connection: redis, prefix: QUEUE_PREFIX });
      await jobs.add(Jobs.RolloutProgress, progress(1));
      await jobs.add(Jobs.RolloutProgress, progress(2));
      await jobs.add(Jobs.RolloutProgress, progress(7));
      await jobs.add(Jobs.RolloutProgress, progress(13), { attempts: 2, backoff: { type: 'fixed', delay: 10 } });
      await jobs.add(Jobs.RolloutProgress, { ...progress(3), status: 'sideways' } as unknown as RolloutProgressJob);
      // written straight to Redis: unsigned, and a name of the caller's choosing
      await raw.add(Jobs.RolloutProgress, progress(4), { removeOnFail: true });
      await raw.add(`made-up-${randomUUID()}`, {}, { removeOnFail: true });
      await jobs.add(Jobs.RolloutProgress, progress(5), { delay: 60_000 });

      const attempts = (outcome: string, name: string = Jobs.RolloutProgress) =>
        value(registry, 'bullmq_jobs_total', { queue: Queues.RolloutProgress, name, outcome });
      await waitFor(async () => (await attempts('failed')) === 2 && (await attempts('unsigned', 'unknown')) === 1);
      await waitFor(async () => handlers.done === 3 && (await attempts('invalid')) === 1 && (await attempts('unsigned')) === 1);
      expect(await attempts('completed')).toBe(3);
      expect(await attempts('requeued')).toBe(1); // moved back to waiting by its handler: not a failure
      expect(
        await value(registry, 'bullmq_job_duration_seconds_count', { queue: Queues.RolloutProgress, name: Jobs.RolloutProgress }),
      ).toBe(6);
      const sum = await value(registry, 'bullmq_job_duration_seconds_sum', { queue: Queues.RolloutProgress, name: Jobs.RolloutProgress });
      expect(sum).toBeGreaterThanOrEqual(0.06); // three handlers slept 20 ms each

      const count = (queue: string, state: string) => value(registry, 'bullmq_job_count', { queue, state });
      expect(await count(Queues.RolloutProgress, 'delayed')).toBe(1);
      expect(await count(Queues.RolloutProgress, 'failed')).toBe(2); // the one that threw twice and the invalid one
      expect(await count(Queues.RolloutProgress, 'waiting')).toBe(0);
      expect(await count(Queues.AuditEvents, 'waiting')).toBe(0);
      // only the queues org-service consumes (QueueOwner)
      expect(await count(Queues.PolicyRollouts, 'waiting')).toBeUndefined();
      await raw.close();
    } finally {
      await module.close();
    }
  });

  it('reads job counts at most once per cache period, and not at all without workers', async () => {
    const registry = new Registry();
    const module = await boot(registry, 60_000);
    try {
      const jobs = module.get(JobQueues);
      const delayed = (r: Registry) => value(r, 'bullmq_job_count', { queue: Queues.RolloutProgress, state: 'delayed' });
      const before = await delayed(registry);
      expect(before).toEqual(expect.any(Number));
      await jobs.add(Jobs.RolloutProgress, progress(6), { delay: 60_000 });
      expect(await delayed(registry)).toBe(before); // cached
      const uncached = new Registry();
      JobMetrics.for(uncached, { cacheMs: 0 }).watchQueues([jobs.queue(Queues.RolloutProgress)]);
      expect(await delayed(uncached)).toBe(before! + 1);
    } finally {
      await module.close();
    }
    const producerOnly = new Registry();
    const producer = await boot(producerOnly, 0, false);
    try {
      expect(await value(producerOnly, 'bullmq_job_count', { queue: Queues.RolloutProgress, state: 'delayed' })).toBeUndefined();
    } finally {
      await producer.close();
    }
  });
});
