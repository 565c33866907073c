import { type DynamicModule, Module } from '@nestjs/common';
import { MfaServiceEnv } from '../config/mfa-service.env';
import { Clock, SystemClock } from './clock';
import { KeyMaterial } from './key-material';

/** The clock and the key material every feature uses: global, one of each per app. */
@Module({})
export class CommonModule {
  static forRoot(env: MfaServiceEnv, clock?: Clock): DynamicModule {
    return {
      module: CommonModule,
      global: true,
      providers: [
        clock ? { provide: Clock, useValue: clock } : { provide: Clock, useClass: SystemClock },
        { provide: KeyMaterial, useFactory: () => KeyMaterial.fromEnv(env) },
      ],
      exports: [Clock, KeyMaterial],
    };
  }
}
