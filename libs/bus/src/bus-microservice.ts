import { NestFactory } from '@nestjs/core';
import type { INestMicroservice, NestApplicationOptions } from '@nestjs/common';
import { BusExceptionFilter } from './bus-exception.filter';
import { RedisStreamsServer } from './redis-streams.server';
import type { RedisStreamsServerOptions } from './redis-streams.server';

/**
 * A bus microservice wired the one right way: the RedisStreamsServer strategy plus the global
 * BusExceptionFilter (without the filter, Nest turns AppErrors into a generic internal error).
 * Call `listen()` on the result.
 */
export async function createBusMicroservice(
  module: Parameters<typeof NestFactory.createMicroservice>[0],
  options: RedisStreamsServerOptions,
  appOptions: NestApplicationOptions = {},
): Promise<INestMicroservice> {
  const app = await NestFactory.createMicroservice(module, { ...appOptions, strategy: new RedisStreamsServer(options) });
  app.useGlobalFilters(new BusExceptionFilter());
  return app;
}
