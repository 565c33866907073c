import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Controller, Get, Header, Module, type DynamicModule, Global } from '@nestjs/common';
import { constantTimeEqual } from '@mfa/crypto';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { BUS_METRICS, BusMetrics, JOB_METRICS, JobMetrics } from '@mfa/bus';
import { SecurityMetrics } from './security-metrics';

/** One registry per process, with Node's default metrics labelled by service. */
export class Metrics {
  readonly registry = new Registry();
  constructor(service: string) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry });
  }
}

@Controller()
export class MetricsController {
  constructor(private readonly metrics: Metrics) {}

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}

@Global()
@Module({})
export class MetricsModule {
  static forRoot(service: string): DynamicModule {
    return {
      module: MetricsModule,
      controllers: [MetricsController],
      providers: [
        { provide: Metrics, useValue: new Metrics(service) },
        // the bus client and server count into the same registry (bus_* series)
        { provide: BUS_METRICS, useFactory: (m: Metrics) => BusMetrics.for(m.registry, service), inject: [Metrics] },
        // the job layer's workers count into it too (bullmq_* series of the queues the app consumes)
        { provide: JOB_METRICS, useFactory: (m: Metrics) => JobMetrics.for(m.registry), inject: [Metrics] },
        { provide: SecurityMetrics, useFactory: (m: Metrics) => new SecurityMetrics(m.registry), inject: [Metrics] },
      ],
      exports: [Metrics, BUS_METRICS, JOB_METRICS, SecurityMetrics],
    };
  }
}

const sha256 = (s: string) => createHash('sha256').update(s).digest();

/**
 * The gate of GET /metrics (mounted on that path by startService). With METRICS_TOKEN set, only
 * `Authorization: Bearer <METRICS_TOKEN>` passes (compared as SHA-256 digests in constant time,
 * so neither the token nor its length leaks); anything else gets 401 in the contract's error
 * shape. Empty: open, as before (a scraper on a private network).
 */
export function metricsGate(token: string): (req: IncomingMessage, res: ServerResponse, next: () => void) => void {
  if (!token) return (_req, _res, next) => next();
  const expected = sha256(token);
  return (req, res, next) => {
    const header = req.headers.authorization;
    const m = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (m && constantTimeEqual(sha256(m[1]), expected)) return next();
    res.statusCode = 401;
    res.setHeader('www-authenticate', 'Bearer realm="metrics"');
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.end(
      JSON.stringify({
        statusCode: 401,
        code: 'unauthenticated',
        message: m ? 'authorization: not the metrics token' : 'authorization: Bearer <METRICS_TOKEN> required for /metrics',
      }),
    );
  };
}
