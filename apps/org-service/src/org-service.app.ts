import type { ServiceDefinition } from '@mfa/observability';
import { OrgServiceEnv } from './config/org-service.env';
import { configureAdminHttp } from './http/http-setup';
import { OrgServiceModule } from './org-service.module';

/** How org-service starts: HTTP only, it consumes no bus stream (it only calls others). */
export const orgServiceApp: ServiceDefinition<OrgServiceEnv> = {
  name: 'org-service',
  env: OrgServiceEnv,
  module: (env) => OrgServiceModule.forRoot(env),
  port: (env) => env.ORG_API_PORT,
  configure: (app) => configureAdminHttp(app),
  // 10,000 bulk rows with display names and external ids fit well under this
  bodyLimit: '8mb',
};
