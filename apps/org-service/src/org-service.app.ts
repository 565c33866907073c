import type { ServiceDefinition } from '@mfa/observability';
import { OrgServiceEnv } from './config/org-service.env';
import { configureAdminHttp } from './http/http-setup';
import { readBodiesAfterAuth } from './http/request-body';
import { OrgServiceModule } from './org-service.module';

/** How org-service starts: HTTP only, it consumes no bus stream (it only calls others). */
export const orgServiceApp: ServiceDefinition<OrgServiceEnv> = {
  name: 'org-service',
  env: OrgServiceEnv,
  module: (env) => OrgServiceModule.forRoot(env),
  port: (env) => env.ORG_API_PORT,
  configure: (app) => configureAdminHttp(app),
  // key first, then the body, under per-route limits (64 KiB; 2 MiB for members/bulk)
  readBodies: (app) => readBodiesAfterAuth(app),
};
