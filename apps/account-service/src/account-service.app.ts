import type { ServiceDefinition } from '@mfa/observability';
import { AccountServiceModule } from './account-service.module';
import { AccountServiceEnv } from './config/account-service.env';

/** How account-service starts: `bus:accounts:requests` consumer plus /health and /metrics over HTTP. */
export const accountServiceApp: ServiceDefinition<AccountServiceEnv> = {
  name: 'account-service',
  env: AccountServiceEnv,
  module: (env) => AccountServiceModule.forRoot(env),
  port: (env) => env.ACCOUNT_SERVICE_PORT,
  bus: 'accounts',
};
