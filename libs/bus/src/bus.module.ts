import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { Bus } from './bus';
import { BusClient } from './bus.client';
import type { BusClientOptions } from './bus.client';
import { BUS_CLIENT } from './wire';

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
}
