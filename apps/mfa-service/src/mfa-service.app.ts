import type { ServiceDefinition } from '@mfa/observability';
import { MfaServiceEnv } from './config/mfa-service.env';
import { MfaServiceModule } from './mfa-service.module';

/** How mfa-service starts: `bus:mfa:requests` consumer plus /health and /metrics over HTTP. */
export const mfaServiceApp: ServiceDefinition<MfaServiceEnv> = {
  name: 'mfa-service',
  env: MfaServiceEnv,
  module: (env) => MfaServiceModule.forRoot(env),
  port: (env) => env.MFA_SERVICE_PORT,
  bus: 'mfa',
};
