import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bus, BusClient, type BusCredentials, platformCredentialsFromEnv } from '@mfa/bus';
import { AdminApi, createOrg } from '../../bench/lib/fixture';
import { ServiceProcess, type ServiceName } from '../../bench/lib/service-process';
import { PgProxy } from './pg-proxy';
import { TEST_BUS_PARTITIONS, TEST_REDIS_URL } from '@mfa/testing';

export const PLATFORM_API_KEY = 'chaos-platform-key-0123456789abcdef0123456789';

/**
 * The system as operators run it: each service its own process from dist/, Postgres reached
 * through a proxy the test can cut, Redis direct (the test database from globalSetup).
 */
export class Deployment {
  readonly proxy = new PgProxy();
  readonly services: ServiceProcess[] = [];
  bus!: Bus;
  platform!: AdminApi;
  private client!: BusClient;
  /** the platform's bus credentials, for entries written by hand */
  credentials!: BusCredentials;
  private env: NodeJS.ProcessEnv = {};

  async start(extraEnv: NodeJS.ProcessEnv = {}): Promise<this> {
    const port = await this.proxy.start();
    const dbUrl = new URL(process.env.DATABASE_URL!);
    dbUrl.host = `127.0.0.1:${port}`;
    this.env = {
      NODE_ENV: 'development',
      DATABASE_URL: dbUrl.toString(),
      REDIS_URL: process.env.REDIS_URL,
      PLATFORM_API_KEY,
      LOG_LEVEL: 'error',
      KEYS_DIR: mkdtempSync(join(tmpdir(), 'mfa-chaos-keys-')),
      ...extraEnv,
    };
    try {
      for (const name of ['org-service', 'account-service', 'mfa-service'] as const) await this.add(name);
    } catch (err) {
      await this.stop(); // leave no process behind a failed start
      throw err;
    }
    this.credentials = platformCredentialsFromEnv('chaos', this.env);
    // on a cluster (npm run test:cluster) the services get REDIS_CLUSTER_NODES and BUS_PARTITIONS from this process's environment
    this.client = new BusClient({
      redisUrl: process.env.REDIS_URL ?? TEST_REDIS_URL,
      partitions: TEST_BUS_PARTITIONS,
      timeoutMs: 10_000,
      credentials: this.credentials,
    });
    await this.client.connect();
    this.bus = new Bus(this.client);
    this.platform = new AdminApi(`http://127.0.0.1:${this.services[0].port}`, PLATFORM_API_KEY);
    return this;
  }

  async add(name: ServiceName): Promise<ServiceProcess> {
    const service = await ServiceProcess.start(name, this.env);
    this.services.push(service);
    return service;
  }

  instances(name: ServiceName): ServiceProcess[] {
    return this.services.filter((s) => s.name === name);
  }

  newOrg(name = `chaos-${Date.now()}`) {
    return createOrg(this.platform, name);
  }

  async stop(): Promise<void> {
    await this.client?.close();
    await Promise.all(this.services.map((s) => s.stop()));
    await this.proxy.stop();
  }
}
