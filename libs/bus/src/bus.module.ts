import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { Bus } from './bus';
import { BusClient } from './bus.client';
import type { BusClientOptions } from './bus.client';
import type { BaseEnv } from '@mfa/config';
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
      providers: [{ provide: BUS_CLIENT, useFactory: () => new BusClient(options) }, Bus],
      exports: [BUS_CLIENT, Bus],
    };
  }

  /** A platform service's client: entries signed as `platform:<service>` with the internal key. */
  static forPlatform(service: string, env: Pick<BaseEnv, 'REDIS_URL' | 'BUS_TIMEOUT_MS' | 'BUS_INTERNAL_KEY' | 'KEYS_DIR'>): DynamicModule {
    return BusModule.forRoot({ redisUrl: env.REDIS_URL, timeoutMs: env.BUS_TIMEOUT_MS, credentials: platformCredentials(service, loadInternalKey(env).busSecret) });
  }
}
