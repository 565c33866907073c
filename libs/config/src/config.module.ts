import { type DynamicModule, Global, Module } from '@nestjs/common';
import { loadConfig } from './load-config';

/** Registers the validated env class as a provider: inject it by its class. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot<T extends object>(schema: new () => T, value?: T): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: schema, useValue: value ?? loadConfig(schema) }],
      exports: [schema],
    };
  }
}
