/** Test-only: a small bus service (controller + DTOs) and helpers for the bus specs. */
import { Controller, Module } from '@nestjs/common';
import type { INestMicroservice } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { Type } from 'class-transformer';
import { ArrayMinSize, IsArray, IsEmail, IsOptional, IsString, IsUUID, MaxLength, ValidateNested } from 'class-validator';
import { throwError } from 'rxjs';
import { AppError } from '@mfa/contracts';
import { BusValidationPipe } from '../bus-validation.pipe';
import type { Redis } from 'ioredis';
import { createBusMicroservice } from '../bus-microservice';
import { clusterAuthFromEnv, clusterUrl, createRedis, masters, type RedisConnection } from '../redis-connection';
import { RedisStreamsContext } from '../redis-streams.context';
import { type BusCredentials, platformCredentials, replyPrefixOf, signEntry } from '../wire';
import { randomUUID } from 'node:crypto';
import type { RedisStreamsServerOptions } from '../redis-streams.server';

// database 12 by default; BUS_TEST_REDIS_DB lets two people run these specs side by side; REDIS_CLUSTER_NODES: on that cluster
export const REDIS_URL = process.env.REDIS_CLUSTER_NODES
  ? clusterUrl(process.env.REDIS_CLUSTER_NODES, clusterAuthFromEnv())
  : `redis://127.0.0.1:6379/${process.env.BUS_TEST_REDIS_DB ?? 12}`;
export const MFA_STREAM = 'bus:mfa:requests';
export const PLATFORM_SECRET = 'test-platform-secret';
export const TEST_CREDENTIALS = platformCredentials('test', PLATFORM_SECRET);

/** Every handler call, in order: how the specs count "exactly once" and "both instances". */
export const calls: Array<{ pattern: string; requestId: string; consumer: string; stream: string; prefetched: unknown }> = [];

export class AccountDto {
  @IsUUID()
  accountId: string;
}

export class NewMemberDto {
  @IsEmail()
  email: string;

  @IsOptional()
  @IsString()
  @MaxLength(10)
  displayName?: string;
}

export class BulkDto {
  @IsUUID()
  orgId: string;

  @IsArray()
  @ArrayMinSize(1)
  @ValidateNested({ each: true })
  @Type(() => NewMemberDto)
  members: NewMemberDto[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const record = (ctx: RedisStreamsContext) =>
  calls.push({
    pattern: ctx.getPattern(),
    requestId: ctx.getRequestId(),
    consumer: ctx.getConsumer(),
    stream: ctx.getStream(),
    prefetched: ctx.getPrefetched(),
  });

@Controller()
class TestBusController {
  @MessagePattern('mfa.internal.ping')
  async ping(@Ctx() ctx: RedisStreamsContext) {
    record(ctx);
    await sleep(0); // a real await, so a batch's handlers interleave
    return { pong: true };
  }

  @MessagePattern('mfa.devices.list')
  list(@Payload(BusValidationPipe) dto: AccountDto, @Ctx() ctx: RedisStreamsContext) {
    record(ctx);
    return { items: [], accountId: dto.accountId, isDto: dto instanceof AccountDto, keys: Object.keys(dto) };
  }

  @MessagePattern('mfa.internal.devices.summary')
  summary(@Payload(BusValidationPipe) dto: BulkDto) {
    return { count: dto.members.length };
  }

  @MessagePattern('mfa.sms.send')
  appError() {
    throw new AppError('invalid_code', 'wrong code');
  }

  @MessagePattern('mfa.sessions.jwks')
  async plainError() {
    throw new Error('boom: a bug');
  }

  @MessagePattern('mfa.verify')
  observableError() {
    return throwError(() => new AppError('locked_out', 'locked out'));
  }

  @MessagePattern('mfa.devices.resync')
  async slow(@Payload() data: { ms: number }, @Ctx() ctx: RedisStreamsContext) {
    record(ctx);
    await sleep(data.ms);
    return { slept: data.ms };
  }
}

@Module({ controllers: [TestBusController] })
export class TestBusModule {}

/** A running bus service on the mfa stream; short block and claim times keep specs fast. */
export async function startService(opts: Partial<RedisStreamsServerOptions> = {}): Promise<INestMicroservice> {
  const app = await createBusMicroservice(
    TestBusModule,
    { redisUrl: REDIS_URL, service: 'mfa', blockMs: 200, claimIdleMs: 5000, platformSecret: PLATFORM_SECRET, ...opts },
    { logger: ['error', 'warn'] },
  );
  await app.listen();
  return app;
}

/** typed as Redis: a Cluster has the same command methods, and the specs spread arguments TypeScript cannot match on the union */
export function rawRedis(): Redis {
  return createRedis(REDIS_URL, { protocol: 2 }) as Redis;
}

/** FLUSHDB of the specs' database; on a cluster, of every master. */
export async function flushRedis(conn: RedisConnection): Promise<void> {
  await conn.ping(); // a cluster knows its masters once its slots are loaded
  await Promise.all(masters(conn).map((m) => m.flushdb()));
}

/** Polls until `check` is truthy; fails after `ms`. */
export async function waitFor<T>(check: () => T | Promise<T>, ms = 5000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > until) throw new Error('waitFor: condition not met in time');
    await sleep(10);
  }
}

/**
 * XADD a request by hand, as a non-Node member service would: signed with `creds` (the test
 * platform key by default) unless the fields bring their own keyId/sig or `creds` is null.
 */
export async function rawRequest(
  redis: Redis,
  fields: Record<string, string>,
  creds: BusCredentials | null = TEST_CREDENTIALS,
): Promise<string> {
  const all = { ...fields };
  if (creds && !('sig' in all)) {
    all.keyId ??= creds.keyId;
    all.sig = signEntry(creds.secret, all.id ?? '', all.pattern ?? '', all.deadline ?? '', all.replyTo ?? '', all.data ?? '');
  }
  return (await redis.xadd(MFA_STREAM, '*', ...Object.entries(all).flat())) as string;
}

/** A reply list the test key may name. */
export function replyList(creds: BusCredentials = TEST_CREDENTIALS): string {
  return `${replyPrefixOf(creds.keyId)}${randomUUID()}`;
}

/** BLPOP one reply as JSON (null when none came within `seconds`). */
export async function popReply(redis: Redis, list: string, seconds = 5): Promise<any> {
  const res = await redis.blpop(list, seconds);
  return res ? JSON.parse(res[1]) : null;
}
