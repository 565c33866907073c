import { type DynamicModule, Module } from '@nestjs/common';
import { Clock, SystemClock } from './clock';

/**
 * The service's one `Clock`, global: the system clock, or the one a test gives to move time
 * instead of sleeping (startTestServices({ clock })).
 */
@Module({})
export class ClockModule {
  static forRoot(clock?: Clock): DynamicModule {
    return {
      module: ClockModule,
      global: true,
      providers: [clock ? { provide: Clock, useValue: clock } : { provide: Clock, useClass: SystemClock }],
      exports: [Clock],
    };
  }
}
