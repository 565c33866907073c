import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { BusModule } from '@mfa/bus';
import { ConfigModule } from '@mfa/config';
import { MetricsModule } from '@mfa/observability';
import { HealthController } from './common/health.controller';
import { RateLimit } from './common/rate-limit';
import { SessionStore } from './common/session-store';
import { WebErrorFilter } from './common/web-error.filter';
import { webRedisProvider } from './common/web-redis';
import { WebEnv } from './config/web.env';
import { ConsoleSessions } from './console/console-sessions';
import { ConsoleController } from './console/console.controller';
import { ConsoleGroupsService } from './console/console-groups.service';
import { GroupsController } from './console/groups.controller';
import { ConsoleService } from './console/console.service';
import { OrgApi } from './console/org-api';
import { EnrollSessions } from './enroll/enroll-sessions';
import { EnrollController } from './enroll/enroll.controller';
import { EnrollService } from './enroll/enroll.service';

/** The web app: admin console (over the admin API) and enrollment page (over the bus, as the platform). */
@Module({})
export class WebModule {
  static forRoot(env: WebEnv): DynamicModule {
    return {
      module: WebModule,
      imports: [ConfigModule.forRoot(WebEnv, env), BusModule.forPlatform('web', env), MetricsModule.forRoot('web')],
      controllers: [HealthController, ConsoleController, GroupsController, EnrollController],
      providers: [
        webRedisProvider,
        SessionStore,
        RateLimit,
        OrgApi,
        ConsoleSessions,
        ConsoleService,
        ConsoleGroupsService,
        EnrollSessions,
        EnrollService,
        { provide: APP_FILTER, useClass: WebErrorFilter },
      ],
    };
  }
}
