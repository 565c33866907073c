import {
  type DynamicModule,
  Inject,
  Injectable,
  Logger,
  Module,
  Optional,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { DiscoveryModule, DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { WorkerOptions } from 'bullmq';
import { type AppName, type JobName, type QueueName, QueueOfJob } from '@mfa/contracts';
import { InternalKey } from '@mfa/crypto';
import { BUS_METRICS, type BusMetrics } from '../bus-metrics';
import { JobQueues, JobSignatureError } from '../job-queues';
import { isRequeue, JOB_METRICS, JobMetrics, JobOutcomes } from './job-metrics';
import { checkJobHandlers, type FoundJobHandler, JobPayloadError, queuesOf, validateJobPayload } from './job-handlers';
import { type JobContext, ON_JOB } from './on-job.decorator';

export interface JobsOptions {
  app: AppName;
  redisUrl: string;
  /** default: the InternalKey provider (BusModule.forPlatform) */
  internalKey?: InternalKey;
  /** false: producers only, no workers and no boot check (a test of one feature module, a CLI) */
  consume?: boolean;
  /** per consumed queue; BullMQ's default concurrency (1) otherwise */
  workers?: Partial<Record<QueueName, Partial<Pick<WorkerOptions, 'concurrency'>>>>;
}

const JOBS_OPTIONS = Symbol('JOBS_OPTIONS');

interface BoundHandler extends FoundJobHandler {
  call: (data: unknown, ctx: JobContext) => Promise<unknown>;
}

/**
 * Finds the app's @OnJob methods at boot, checks them against the registry, and starts one
 * worker per queue the app owns, dispatching each job to its handler by name. Closes the
 * JobQueues (workers finish their job in flight) after every other module's destroy hook: it
 * lives in a global module, which Nest destroys last, so producers and handlers still work.
 */
@Injectable()
export class JobWorkers implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(JobWorkers.name);

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly queues: JobQueues,
    @Inject(JOBS_OPTIONS) private readonly options: JobsOptions,
    @Optional() @Inject(JOB_METRICS) private readonly metrics?: JobMetrics,
  ) {}

  private unwatch?: () => void;

  onApplicationBootstrap(): void {
    if (this.options.consume === false) return;
    const handlers = this.discover();
    checkJobHandlers(this.options.app, handlers);
    const byName = new Map(handlers.map((h) => [h.name, h]));
    const metrics = this.metrics;
    for (const queue of queuesOf(this.options.app)) {
      const worker = this.queues.work(
        queue,
        async (job, token) => {
          const handler = byName.get(job.name);
          try {
            // a name the registry does not put on this queue: an older or newer producer; retrying will not help
            if (!handler || QueueOfJob[job.name as JobName] !== queue) throw new JobPayloadError(`unknown job ${job.name} on ${queue}`);
            validateJobPayload(job.name as JobName, job.data);
          } catch (err) {
            metrics?.attempt(queue, job.name, JobOutcomes.Invalid);
            throw err;
          }
          if (!metrics) return handler.call(job.data, { job, token, stopping: this.queues.stopping });
          const started = performance.now();
          try {
            const result = await handler.call(job.data, { job, token, stopping: this.queues.stopping });
            metrics.attempt(queue, job.name, JobOutcomes.Completed, (performance.now() - started) / 1000);
            return result;
          } catch (err) {
            metrics.attempt(
              queue,
              job.name,
              isRequeue(err) ? JobOutcomes.Requeued : JobOutcomes.Failed,
              (performance.now() - started) / 1000,
            );
            throw err;
          }
        },
        this.options.workers?.[queue] ?? {},
      );
      // refused before the processor above runs (JobQueues.work checks the signature first)
      if (metrics)
        worker.on('failed', (job, err) => {
          if (err instanceof JobSignatureError) metrics.attempt(queue, job?.name ?? '', JobOutcomes.Unsigned);
        });
    }
    this.unwatch = metrics?.watchQueues(queuesOf(this.options.app).map((q) => this.queues.queue(q)));
    this.logger.log(`${handlers.length} job handlers on ${queuesOf(this.options.app).join(', ')}`);
  }

  onModuleDestroy(): Promise<void> {
    this.unwatch?.();
    return this.queues.close();
  }

  private discover(): BoundHandler[] {
    const found: BoundHandler[] = [];
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue;
      const proto = Object.getPrototypeOf(instance) as object;
      for (const method of this.scanner.getAllMethodNames(proto)) {
        const fn = instance[method];
        const names = typeof fn === 'function' ? (Reflect.getMetadata(ON_JOB, fn) as JobName[] | undefined) : undefined;
        for (const name of names ?? []) {
          found.push({
            name,
            owner: `${proto.constructor.name}.${method}`,
            call: (data, ctx) => (fn as (d: unknown, c: JobContext) => Promise<unknown>).call(instance, data, ctx),
          });
        }
      }
    }
    return found;
  }
}

/**
 * The job layer of one app, once in its root module: JobQueues (producers, one connection,
 * every job signed) everywhere, and the workers of the queues the registry gives `app`, run by
 * the @OnJob handlers (docs/jobs.md). Needs InternalKey (BusModule.forPlatform).
 */
@Module({})
export class JobsModule {
  static forApp(options: JobsOptions): DynamicModule {
    return {
      module: JobsModule,
      global: true,
      imports: [DiscoveryModule],
      providers: [
        { provide: JOBS_OPTIONS, useValue: options },
        {
          provide: JobQueues,
          inject: [
            { token: InternalKey, optional: true },
            { token: BUS_METRICS, optional: true },
          ],
          useFactory: (key?: InternalKey, metrics?: BusMetrics) => {
            const internalKey = options.internalKey ?? key;
            if (!internalKey) throw new Error('JobsModule: no InternalKey (import BusModule.forPlatform or pass internalKey)');
            return new JobQueues(options.redisUrl, internalKey, `jobs:${options.app}`, { metrics, serviceName: options.app });
          },
        },
        JobWorkers,
      ],
      exports: [JobQueues],
    };
  }
}
