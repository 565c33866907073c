import { Controller, Get, Header, Module, type DynamicModule, Global } from '@nestjs/common';
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
