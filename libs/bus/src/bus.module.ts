import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { Bus } from './bus';
import { BUS_METRICS } from './bus-metrics';
import type { BusMetrics } from './bus-metrics';
import { BusClient } from './bus.client';
import type { BusClientOptions } from './bus.client';
import type { BaseEnv } from '@mfa/config';
import { InternalKey } from '@mfa/crypto';
import { loadInternalKey } from './platform-key';
import { BUS_CLIENT, platformCredentials } from './wire';

/**
 * `BusModule.forRoot({ redisUrl })`, once in the root module: provides BusClient (token
 * BUS_CLIENT) and Bus everywhere. Bus connects the client on init and closes it on destroy.
 */
@Module({})
export class BusModule {
  static forRoot(options: BusClientOptions): DynamicModule {
    return {
      module: BusModule,
      global: true,
      // BusMetrics comes from MetricsModule when the app has one
      providers: [
        {
          provide: BUS_CLIENT,
          useFactory: (metrics?: BusMetrics) => new BusClient({ metrics, ...options }),
          inject: [{ token: BUS_METRICS, optional: true }],
        },
        Bus,
      ],
      exports: [BUS_CLIENT, Bus],
    };
  }

  /**
   * A platform service's bus: its client signs as `platform:<service>`, and the InternalKey,
   * loaded once here, is a provider everywhere (jobs, service-key secrets, the bus server).
   */
  static forPlatform(
    service: string,
    env: Pick<BaseEnv, 'REDIS_URL' | 'BUS_TIMEOUT_MS' | 'BUS_INTERNAL_KEY' | 'KEYS_DIR'> & Partial<Pick<BaseEnv, 'BUS_PARTITIONS'>>,
  ): DynamicModule {
    const key = loadInternalKey(env);
    const base = BusModule.forRoot({
      redisUrl: env.REDIS_URL,
      timeoutMs: env.BUS_TIMEOUT_MS,
      credentials: platformCredentials(service, key.busSecret),
      serviceName: service,
      partitions: env.BUS_PARTITIONS,
    });
    return { ...base, providers: [...base.providers!, { provide: InternalKey, useValue: key }], exports: [...base.exports!, InternalKey] };
  }
}
