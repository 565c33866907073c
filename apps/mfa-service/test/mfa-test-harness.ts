/** Test-only: two in-process mfa-service instances on one stream, a stub accounts.get, helpers. */
import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { Controller, Module } from '@nestjs/common';
import type { INestMicroservice } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import {
  AppError,
  InternalPatterns,
  Patterns,
  queuePrefix,
  Queues,
  type BusPattern,
  type CreateTotpDeviceReply,
  type Member,
  type ReplyOf,
  type RequestOf,
  type SessionRevocation,
} from '@mfa/contracts';
import { Bus, createBusMicroservice, createRedis, isCluster, platformCredentialsFromEnv } from '@mfa/bus';
export { waitFor } from '@mfa/testing';
import { loadConfig } from '@mfa/config';
import { startService, type RunningService } from '@mfa/observability';
import { FixedClock } from '../src/common/clock';
import { MfaServiceEnv } from '../src/config/mfa-service.env';
import { mfaServiceApp } from '../src/mfa-service.app';
import { SmsOutboxRepository } from '../src/sms/sms-outbox.repository';
import { MfaServiceModule } from '../src/mfa-service.module';
import { base32Decode } from '../src/methods/totp/base32';
import { hotp, timeStep } from '../src/methods/totp/totp';

/**
 * accounts.get stand-in: a tiny responder on bus:accounts:requests. Kept instead of booting
 * account-service in-process because that module is being written concurrently; replace with
 * AccountServiceModule once it is stable (only members would need creating through it).
 */
export const members = new Map<string, Member>();
/** what mfa-service handed to account-service (accounts.internal.sessions.revoke) */
export const revocations: SessionRevocation[] = [];

@Controller()
class AccountsStubController {
  @MessagePattern(Patterns.AccountsGet)
  get(@Payload() data: { accountId: string }): Member {
    const m = members.get(data?.accountId);
    if (!m) throw AppError.notFound('account');
    return m;
  }

  @MessagePattern(InternalPatterns.AccountsSessionsRevoke)
  revoke(@Payload() data: SessionRevocation): { recorded: true } {
    revocations.push(data);
    return { recorded: true };
  }
}

@Module({ controllers: [AccountsStubController] })
class AccountsStubModule {}

export function newMember(orgId: string = randomUUID()): Member {
  const id = randomUUID();
  const m: Member = {
    id,
    orgId,
    email: `user-${id.slice(0, 8)}@example.com`,
    displayName: null,
    externalId: null,
    createdAt: new Date().toISOString(),
    enforcement: { state: 'not_required', policyVersion: 0, requiredSince: null, graceDeadline: null, exemptUntil: null },
  };
  members.set(id, m);
  return m;
}

export interface Harness {
  env: MfaServiceEnv;
  clock: FixedClock;
  a: RunningService;
  b: RunningService;
  bus: Bus;
  db: DataSource;
  redis: Redis;
  queues: { devices: Queue; audit: Queue };
  send<P extends BusPattern>(pattern: P, data: RequestOf<P>): Promise<ReplyOf<P>>;
  /** the AppError code a request fails with (throws if it succeeds) */
  failure(pattern: BusPattern, data: unknown): Promise<{ code: string; message: string }>;
  close(): Promise<void>;
}

export async function startHarness(vars: Record<string, string> = {}): Promise<Harness> {
  const env = loadConfig(MfaServiceEnv, { ...process.env, MFA_SERVICE_PORT: '0', ...vars });
  // 5 s into a time step, so "now" and its neighbours are unambiguous
  const clock = new FixedClock(new Date(Date.UTC(2030, 0, 1, 0, 0, 5)));
  const def = { ...mfaServiceApp, module: (e: MfaServiceEnv) => MfaServiceModule.forRoot(e, { clock }) };
  const stub: INestMicroservice = await createBusMicroservice(
    AccountsStubModule,
    {
      redisUrl: env.REDIS_URL,
      service: 'accounts',
      partitions: env.BUS_PARTITIONS,
      blockMs: 200,
      platformSecret: platformCredentialsFromEnv('test', env as never).secret,
    },
    { logger: false },
  );
  await stub.listen();
  const a = await startService(def, env);
  const b = await startService(def, env);
  const bus = a.app.get(Bus);
  // typed as Redis: a Cluster (REDIS_CLUSTER_NODES) has the same command methods
  const redis = createRedis(env.REDIS_URL, { maxRetriesPerRequest: null }) as Redis;
  const cluster = isCluster(redis);
  const queues = {
    devices: new Queue(Queues.DeviceEvents, { connection: redis, prefix: queuePrefix(Queues.DeviceEvents, cluster) }),
    audit: new Queue(Queues.AuditEvents, { connection: redis, prefix: queuePrefix(Queues.AuditEvents, cluster) }),
  };
  const send = <P extends BusPattern>(pattern: P, data: RequestOf<P>) => bus.send(pattern, data, { timeoutMs: 10_000 });
  return {
    env,
    clock,
    a,
    b,
    bus,
    db: a.app.get(DataSource),
    redis,
    queues,
    send,
    async failure(pattern, data) {
      try {
        await bus.send(pattern, data as never, { timeoutMs: 10_000 });
      } catch (err) {
        return { code: (err as AppError).code, message: (err as AppError).message };
      }
      throw new Error(`${pattern} succeeded`);
    },
    async close() {
      await Promise.all([queues.devices.close(), queues.audit.close()]);
      await a.app.close();
      await b.app.close();
      await stub.close();
      redis.disconnect();
    },
  };
}

/** The code of `secret` at `offsetSteps` steps from the clock. */
export function codeAt(secretBase32: string, clock: FixedClock, offsetSteps = 0): string {
  return hotp(base32Decode(secretBase32), timeStep(clock.now()) + offsetSteps);
}

/** oathtool, the independent authenticator: the code at `offsetSteps` from the clock. */
export function oathtool(secretBase32: string, clock: FixedClock, offsetSteps = 0): string {
  const seconds = Math.floor(clock.now().getTime() / 1000) + offsetSteps * 30;
  return execFileSync('oathtool', ['--totp', '-b', secretBase32, '--now', `@${seconds}`], { encoding: 'utf8' }).trim();
}

/** A pending TOTP device of `m`; a member who already has an active device needs a fresh `sessionToken` (step-up). */
export async function createTotp(
  h: Harness,
  m: Member,
  opts: { name?: string; sessionToken?: string } = {},
): Promise<CreateTotpDeviceReply> {
  const { name = 'phone', sessionToken } = opts;
  return (await h.send(Patterns.MfaDevicesCreate, { accountId: m.id, type: 'totp', name, sessionToken })) as CreateTotpDeviceReply;
}

/** `dev` enabled with the codes of the previous and the current step; the clock then moves one step on (the enable step is used). */
export async function enableTotp(h: Harness, m: Member, dev: CreateTotpDeviceReply): Promise<void> {
  await h.send(Patterns.MfaDevicesEnable, {
    accountId: m.id,
    serialNumber: dev.serialNumber,
    code1: codeAt(dev.secretBase32, h.clock, -1),
    code2: codeAt(dev.secretBase32, h.clock),
  });
  h.clock.advance(30_000);
}

/** A member with one enabled TOTP device (see createTotp and enableTotp). */
export async function enrolledTotp(h: Harness, m: Member = newMember(), opts: { name?: string; sessionToken?: string } = {}) {
  const dev = await createTotp(h, m, opts);
  await enableTotp(h, m, dev);
  return { m, dev };
}

/** A fresh session token (step-up) from the device's current code; the clock then moves one step on. */
export async function freshSession(h: Harness, accountId: string, secretBase32: string): Promise<string> {
  const { token } = await h.send(Patterns.MfaSessionsIssue, { accountId, code: codeAt(secretBase32, h.clock) });
  h.clock.advance(30_000);
  return token;
}

/** The code in the newest outbox message of a device (decrypted by the outbox's one reader). */
export async function lastSmsCodeOf(h: Harness, serialNumber: string): Promise<string> {
  const [message] = await h.a.app.get(SmsOutboxRepository).read({ serialNumber, limit: 1 });
  return /(\d{6})/.exec(message.body)![1];
}
