import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DynamicModule, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestMicroservice } from '@nestjs/microservices';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { Counter, Histogram } from 'prom-client';
import {
  BUS_METRICS,
  BUS_PREFETCH,
  BusExceptionFilter,
  type BusMetrics,
  CALLER_DIRECTORY,
  type CallerDirectory,
  type Prefetcher,
  RedisStreamsServer,
} from '@mfa/bus';
import { InternalKey } from '@mfa/crypto';
import { type BaseEnv, ConfigError, loadConfig } from '@mfa/config';
import { Readiness } from './health';
import { createRootLogger, PinoLogger } from './logger';
import { httpSpans, startTracing, stopTracing, tracesUrl } from './tracing';
import { Metrics, metricsGate } from './metrics';

/** Everything that differs between the three services' main.ts. */
export interface ServiceDefinition<E extends BaseEnv> {
  /** `org-service`, `account-service`, `mfa-service`: the `service` field of every log line */
  name: string;
  env: new () => E;
  /** the root module, built from the validated env (so tests can pass their own) */
  module(env: E): DynamicModule | Type<unknown>;
  port(env: E): number;
  /** the bus consumer group this service serves, if it has a bus side */
  bus?: 'mfa' | 'accounts';
  /** service-specific HTTP setup (pipes, filters, OpenAPI), run before listening */
  configure?(app: NestExpressApplication, env: E, logger: Logger): void | Promise<void>;
  /** the service reads request bodies itself (org-service: only once the caller's key is known); replaces the default parser */
  readBodies?(app: NestExpressApplication): void;
  /** the URL as request logs show it (the web app hides one-time link tokens) */
  logUrl?(url: string): string;
}

export interface RunningService {
  app: NestExpressApplication;
  port: number;
  logger: Logger;
  /** the bus consumer, when the service has a bus side */
  bus?: RedisStreamsServer;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** A caller's x-request-id when it is sane (it goes into every log line), else a new uuid. */
export function requestIdOf(req: IncomingMessage, res: ServerResponse): string {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
  res.setHeader('x-request-id', id);
  return id;
}

/** One boot message for every bad variable (ConfigError already keeps secret values out). */
export function describeConfigProblems(service: string, error: ConfigError): string {
  return `${service}: invalid environment, fix every variable below: ${error.problems.join('; ')}`;
}

/** Loads the env class once; a bad environment prints one message and exits 1. */
export function loadEnvOrExit<E extends BaseEnv>(def: ServiceDefinition<E>, env: NodeJS.ProcessEnv = process.env): E {
  try {
    return loadConfig(def.env, env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(describeConfigProblems(def.name, err) + '\n');
      process.exit(1);
    }
    throw err;
  }
}

/** Counter + histogram of HTTP requests, labelled by the matched route (never the raw URL). */
function httpMetrics(app: NestExpressApplication): (req: Request, res: Response, next: NextFunction) => void {
  const registry = app.get(Metrics).registry;
  const labelNames = ['method', 'route', 'status_code'] as const;
  const total = new Counter({ name: 'http_requests_total', help: 'HTTP requests served', labelNames, registers: [registry] });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration',
    labelNames,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return (req, res, next) => {
    const end = duration.startTimer();
    res.once('finish', () => {
      // unmatched URLs share one label so a scanner cannot blow up the series count
      const routePath = (req.route as { path?: unknown } | undefined)?.path;
      const route = typeof routePath === 'string' ? `${req.baseUrl}${routePath}` : 'unmatched';
      const labels = { method: req.method, route, status_code: String(res.statusCode) };
      total.inc(labels);
      end(labels);
    });
    next();
  };
}

/** The InternalKey BusModule.forPlatform provides; a service with a bus side cannot start without it. */
function platformKeyOf(app: NestExpressApplication): InternalKey {
  const key = optionalProvider<InternalKey>(app, InternalKey);
  if (!key) throw new Error('a service with a bus side must import BusModule.forPlatform(service, env) (it provides the InternalKey)');
  return key;
}

function optionalProvider<T>(app: NestExpressApplication, token: symbol | (new (...args: never[]) => T)): T | undefined {
  try {
    return app.get<T>(token, { strict: false });
  } catch {
    return undefined;
  }
}

const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;
const BODY_REFUSED = 'body.refused';

/** An error for a body parser's `verify` hook: answered 400 with this message by jsonBodyErrors. */
export function bodyRefused(message: string): Error {
  return Object.assign(new Error(message), { status: 400, expose: true, type: BODY_REFUSED });
}

function describeBytes(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes / 1024} KiB`;
}

/** Body-parser errors in the contract's error shape: 413 over the limit, 400 for the rest. */
export function jsonBodyErrors(): (
  err: { type?: string; status?: number; limit?: number; message?: string },
  req: Request,
  res: Response,
  next: NextFunction,
) => void {
  return (err, _req, res, next) => {
    if (!err || typeof err.status !== 'number' || err.status >= 500) return next(err);
    const tooLarge = err.type === 'entity.too.large';
    const message = tooLarge
      ? `request body is larger than ${describeBytes(err.limit ?? DEFAULT_BODY_LIMIT_BYTES)}`
      : err.type === BODY_REFUSED
        ? err.message!
        : err.type === 'entity.parse.failed'
          ? 'request body is not valid JSON'
          : 'request body could not be read';
    const statusCode = tooLarge ? 413 : 400;
    res.status(statusCode).json({ statusCode, code: 'validation_failed', message });
  };
}

/** JSON bodies (1 MiB at most) with the contract's error shape for malformed JSON and oversized bodies. */
function jsonBody(app: NestExpressApplication): void {
  app.useBodyParser('json', { limit: DEFAULT_BODY_LIMIT_BYTES });
  app.use(jsonBodyErrors());
}

/**
 * Creates the app (pino logger, request ids, HTTP metrics, bus consumer when the service has
 * one), starts it and listens on the port from its env (0 = any free port). Used by main.ts
 * and by the in-process e2e tests alike, so both run the same wiring.
 */
export async function startService<E extends BaseEnv>(def: ServiceDefinition<E>, env: E): Promise<RunningService> {
  const logger = createRootLogger(def.name, env.LOG_LEVEL);
  // before anything makes a span; off (the API's no-ops, no SDK) without an endpoint
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT && startTracing({ service: def.name, endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT }))
    logger.info({ endpoint: tracesUrl(env.OTEL_EXPORTER_OTLP_ENDPOINT) }, 'tracing: spans exported over OTLP/HTTP');
  const app = await NestFactory.create<NestExpressApplication>(def.module(env), {
    logger: new PinoLogger(logger),
    bodyParser: false,
    abortOnError: false,
  });
  const busMetrics = optionalProvider<BusMetrics>(app, BUS_METRICS);
  // first, so the request's logs, handlers and bus calls run inside its span (a no-op with tracing off)
  app.use(httpSpans(def.name, busMetrics));
  // before anything reads the request: a scraper without the token gets 401 and nothing else runs
  app.use('/metrics', metricsGate(env.METRICS_TOKEN));
  app.use(
    pinoHttp({
      logger,
      genReqId: requestIdOf,
      ...(def.logUrl ? { serializers: { req: (r: { url: string }) => ({ ...r, url: def.logUrl!(r.url) }) } } : {}),
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
      autoLogging: { ignore: (req) => req.url === '/metrics' || req.url?.startsWith('/health') === true },
    }),
  );
  app.use(httpMetrics(app));
  if (def.readBodies) def.readBodies(app);
  else jsonBody(app);
  await def.configure?.(app, env, logger);

  let strategy: RedisStreamsServer | undefined;
  if (def.bus) {
    // deferred: Nest 12 initializes a connected microservice at once, and global filters
    // registered after that are ignored
    // member services' keys and accounts' orgs come from the app's own providers (none: platform only)
    const directory = optionalProvider<CallerDirectory>(app, CALLER_DIRECTORY);
    strategy = new RedisStreamsServer({
      redisUrl: env.REDIS_URL,
      service: def.bus,
      platformSecret: platformKeyOf(app).busSecret,
      directory,
      prefetch: optionalProvider<ReadonlyMap<string, Prefetcher>>(app, BUS_PREFETCH),
      metrics: busMetrics,
      serviceName: def.name,
      partitions: env.BUS_PARTITIONS,
    });
    const bus = app.connectMicroservice({ strategy }, { deferInitialization: true });
    // without it Nest's RPC handler drops every error code (see BusExceptionFilter)
    bus.useGlobalFilters(new BusExceptionFilter());
    // the lifecycle hooks run once, here, before the bus or HTTP takes a request: left alone, a
    // hybrid app runs them when the bus starts and again when HTTP listens
    await app.init();
    (bus as NestMicroservice).setIsInitHookCalled(true);
    await app.startAllMicroservices();
    const consumer = strategy;
    optionalProvider<Readiness>(app, Readiness)?.watchBus(() => consumer.consuming);
  }
  await app.listen(def.port(env));
  const port = (app.getHttpServer().address() as AddressInfo).port;
  logger.info({ port, bus: def.bus ?? null }, `${def.name} listening on port ${port}`);
  return { app, port, logger, bus: strategy };
}

/** Past this a drain gives up and the process exits 1 (entries not acked are claimed by another instance). */
const DRAIN_TIMEOUT_MS = 30_000;

/**
 * Graceful drain (docs/operations.md, "Stopping an instance"): /health/ready answers 503 at once;
 * the bus consumer stops reading and finishes the batches it holds, writing their replies, while
 * HTTP stops accepting and finishes its in-flight requests; only then Nest's hooks close the bus
 * client, queues and pools (Nest alone would close the bus client before the consumer drained).
 */
export async function drain(running: RunningService, signal?: string): Promise<void> {
  const { app, bus, logger } = running;
  optionalProvider<Readiness>(app, Readiness)?.drain();
  logger.info({ signal }, 'draining: not ready; finishing in-flight bus entries and HTTP requests');
  const http = app.getHttpServer();
  await Promise.all([bus?.close(), new Promise<void>((resolve) => (http.listening ? http.close(() => resolve()) : resolve()))]);
  await app.close();
  await stopTracing(); // exports the spans still buffered
}

/** The whole of a main.ts: load config (exit 1 listing every bad variable), start, stop cleanly on SIGINT/SIGTERM. */
export async function bootstrapService<E extends BaseEnv>(def: ServiceDefinition<E>): Promise<RunningService> {
  const env = loadEnvOrExit(def);
  try {
    const running = await startService(def, env);
    // process.exit lets pino flush; a second signal while draining changes nothing
    let draining = false;
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.on(signal, () => {
        if (draining) return;
        draining = true;
        setTimeout(() => {
          running.logger.error(`drain not finished after ${DRAIN_TIMEOUT_MS} ms; exiting`);
          process.exit(1);
        }, DRAIN_TIMEOUT_MS).unref();
        drain(running, signal).then(
          () => process.exit(0),
          (err) => {
            running.logger.error({ err }, 'drain failed');
            process.exit(1);
          },
        );
      });
    }
    return running;
  } catch (err) {
    process.stderr.write(`${def.name}: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
