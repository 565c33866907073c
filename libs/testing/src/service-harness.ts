import { randomBytes } from 'node:crypto';
import { Controller, type INestMicroservice, Module } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { Bus, BusClient, createBusMicroservice } from '@mfa/bus';
import { loadConfig } from '@mfa/config';
import { Patterns } from '@mfa/contracts';
import { type RunningService, startService } from '@mfa/observability';
import { accountServiceApp } from '../../../apps/account-service/src/account-service.app';
import { AccountServiceEnv } from '../../../apps/account-service/src/config/account-service.env';
import { OrgServiceEnv } from '../../../apps/org-service/src/config/org-service.env';
import { orgServiceApp } from '../../../apps/org-service/src/org-service.app';

/**
 * org-service (HTTP) and account-service (bus consumer) in this process, on the test database
 * and Redis database that globalSetup chose, each on a free port. Optionally a stand-in
 * mfa-service that answers `mfa.devices.list` (so org-service's member view has devices).
 */
export interface TestServices {
  org: RunningService;
  account: RunningService;
  /** base URL of org-service, for supertest: `request(services.orgUrl)` */
  orgUrl: string;
  platformKey: string;
  /** a real bus client on the test Redis */
  bus: Bus;
  close(): Promise<void>;
}

export interface TestServicesOptions {
  /** answer mfa.devices.list with these devices (default: a stand-in answering `{items: []}`); false: no stand-in */
  mfaStub?: boolean;
  env?: Record<string, string>;
}

/** What the stand-in mfa-service answers; tests may push devices here. */
export const stubDevices: Record<string, unknown[]> = {};

@Controller()
class MfaStubController {
  @MessagePattern(Patterns.MfaDevicesList)
  list(data: { accountId: string }) {
    return { items: stubDevices[data.accountId] ?? [] };
  }
}

@Module({ controllers: [MfaStubController] })
class MfaStubModule {}

function testEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, ORG_API_PORT: '0', ACCOUNT_SERVICE_PORT: '0', ...extra };
}

export async function startTestServices(opts: TestServicesOptions = {}): Promise<TestServices> {
  const platformKey = `mfap_test_${randomBytes(24).toString('base64url')}`;
  const env = testEnv({ PLATFORM_API_KEY: platformKey, ...opts.env });
  const account = await startService(accountServiceApp, loadConfig(AccountServiceEnv, env));
  const org = await startService(orgServiceApp, loadConfig(OrgServiceEnv, env));
  let stub: INestMicroservice | undefined;
  if (opts.mfaStub !== false) {
    stub = await createBusMicroservice(MfaStubModule, { redisUrl: env.REDIS_URL!, service: 'mfa' }, { logger: false });
    await stub.listen();
  }
  const client = new BusClient({ redisUrl: env.REDIS_URL!, timeoutMs: 10_000 });
  await client.connect();
  return {
    org,
    account,
    orgUrl: `http://127.0.0.1:${org.port}`,
    platformKey,
    bus: new Bus(client),
    async close() {
      await client.close();
      await stub?.close();
      await org.app.close();
      await account.app.close();
    },
  };
}
