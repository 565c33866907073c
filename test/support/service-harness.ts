import { randomBytes } from 'node:crypto';
import { Bus, BusClient, type BusClientOptions, platformCredentialsFromEnv } from '@mfa/bus';
import type { Clock } from '@mfa/clock';
import { loadConfig } from '@mfa/config';
import { TEST_BUS_PARTITIONS, TEST_REDIS_URL } from '@mfa/testing';
import { type RunningService, startService } from '@mfa/observability';
import { accountServiceApp } from '../../apps/account-service/src/account-service.app';
import { AccountServiceModule } from '../../apps/account-service/src/account-service.module';
import { AccountServiceEnv } from '../../apps/account-service/src/config/account-service.env';
import { MfaServiceEnv } from '../../apps/mfa-service/src/config/mfa-service.env';
import { mfaServiceApp } from '../../apps/mfa-service/src/mfa-service.app';
import { MfaServiceModule } from '../../apps/mfa-service/src/mfa-service.module';
import { OrgServiceEnv } from '../../apps/org-service/src/config/org-service.env';
import { orgServiceApp } from '../../apps/org-service/src/org-service.app';
import { OrgServiceModule } from '../../apps/org-service/src/org-service.module';

/**
 * org-service (HTTP) and account-service (bus consumer) in this process, on the test database
 * and Redis database that globalSetup chose, each on a free port, with the real mfa-service
 * unless the test brings its own.
 */
export interface TestServices {
  org: RunningService;
  account: RunningService;
  mfa?: RunningService;
  /** base URL of org-service, for supertest: `request(services.orgUrl)` */
  orgUrl: string;
  platformKey: string;
  /** a real bus client on the test Redis */
  bus: Bus;
  close(): Promise<void>;
}

export interface TestServicesOptions {
  /** also run the real mfa-service (default); false: the test brings its own */
  mfa?: boolean;
  env?: Record<string, string>;
  /** one clock for the three services (e.g. a FixedClock from @mfa/clock): tests move time instead of sleeping */
  clock?: Clock;
}

function testEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, ORG_API_PORT: '0', ACCOUNT_SERVICE_PORT: '0', ...extra };
}

export async function startTestServices(opts: TestServicesOptions = {}): Promise<TestServices> {
  const platformKey = `mfap_test_${randomBytes(24).toString('base64url')}`;
  const env = testEnv({ PLATFORM_API_KEY: platformKey, ...opts.env });
  const clock = opts.clock;
  const accountApp = clock
    ? { ...accountServiceApp, module: (e: AccountServiceEnv) => AccountServiceModule.forRoot(e, { clock }) }
    : accountServiceApp;
  const orgApp = clock ? { ...orgServiceApp, module: (e: OrgServiceEnv) => OrgServiceModule.forRoot(e, { clock }) } : orgServiceApp;
  const mfaApp = clock ? { ...mfaServiceApp, module: (e: MfaServiceEnv) => MfaServiceModule.forRoot(e, { clock }) } : mfaServiceApp;
  const account = await startService(accountApp, loadConfig(AccountServiceEnv, env));
  const org = await startService(orgApp, loadConfig(OrgServiceEnv, env));
  const mfa = opts.mfa === false ? undefined : await startService(mfaApp, loadConfig(MfaServiceEnv, { ...env, MFA_SERVICE_PORT: '0' }));
  const client = new BusClient({
    redisUrl: env.REDIS_URL ?? TEST_REDIS_URL,
    partitions: TEST_BUS_PARTITIONS,
    timeoutMs: 10_000,
    credentials: platformCredentialsFromEnv('test', env),
  });
  await client.connect();
  return {
    org,
    account,
    mfa,
    orgUrl: `http://127.0.0.1:${org.port}`,
    platformKey,
    bus: new Bus(client),
    async close() {
      await client.close();
      await mfa?.app.close();
      await org.app.close();
      await account.app.close();
    },
  };
}

/** A member service's bus client: entries signed with its service key (closed by `close()`). */
export function memberServiceBus(
  key: { id: string; secret: string },
  extra: Partial<BusClientOptions> = {},
): { bus: Bus; close(): Promise<void> } {
  const client = new BusClient({
    redisUrl: process.env.REDIS_URL ?? TEST_REDIS_URL,
    partitions: TEST_BUS_PARTITIONS,
    timeoutMs: 10_000,
    credentials: { keyId: key.id, secret: key.secret },
    ...extra,
  });
  return { bus: new Bus(client), close: () => client.close() };
}
