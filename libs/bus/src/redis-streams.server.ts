import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Logger } from '@nestjs/common';
import { Server } from '@nestjs/microservices';
import type { CustomTransportStrategy } from '@nestjs/microservices';
import type { Redis } from 'ioredis';
import { lastValueFrom } from 'rxjs';
import { AppError, BusServices, ErrorCodes } from '@mfa/contracts';
import type { BusServiceName, WireError } from '@mfa/contracts';
import { toWireError } from './bus-errors';
import { clientIdsByName, connectionName, openRedis, Sleeper } from './redis-connection';
import { RedisStreamsContext } from './redis-streams.context';
import { fieldsOf, REPLY_TTL_SECONDS } from './wire';
import type { EntryFields, WireReply } from './wire';

export interface RedisStreamsServerOptions {
  redisUrl: string;
  service: BusServiceName;
  /** one consumer per instance; default hostname-pid-random */
  consumerName?: string;
  batchSize?: number;
  blockMs?: number;
  /** entries pending this long on any consumer are claimed (XAUTOCLAIM) and handled here */
  claimIdleMs?: number;
  /** read loops in flight, each on its own connection */
  concurrency?: number;
}

type StreamEntry = [id: string, fields: string[] | null];
interface Outcome {
  replyTo: string;
  json: string;
}

const MAX_BACKOFF_MS = 5000;
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Request/reply over Redis Streams, exactly as CONTRACT.md "Bus" and docs/bus-protocol.md say. */
export class RedisStreamsServer extends Server implements CustomTransportStrategy {
  protected readonly logger = new Logger(RedisStreamsServer.name);
  readonly stream: string;
  readonly group: string;
  readonly consumer: string;
  private readonly opts: Required<Omit<RedisStreamsServerOptions, 'consumerName'>>;
  private cmd?: Redis;
  private readers: Redis[] = [];
  private readonly readerNames = new Set<string>();
  private loops: Promise<void>[] = [];
  private running = false;
  private readonly inFlight = new Set<string>();
  private readonly sleeper = new Sleeper();
  private readonly listeners = new Map<string, Array<(...args: unknown[]) => void>>();

  constructor(options: RedisStreamsServerOptions) {
    super();
    const svc = BusServices[options.service];
    if (!svc) throw new Error(`RedisStreamsServer: unknown service "${options.service}"`);
    this.stream = svc.stream;
    this.group = svc.group;
    this.consumer = options.consumerName ?? `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
    this.opts = {
      redisUrl: options.redisUrl,
      service: options.service,
      batchSize: options.batchSize ?? 100,
      blockMs: options.blockMs ?? 1000,
      claimIdleMs: options.claimIdleMs ?? 5000,
      concurrency: Math.max(1, options.concurrency ?? 2),
    };
  }

  listen(callback: (err?: unknown) => void): void {
    this.start().then(() => callback(), (err) => callback(err));
  }

  async close(): Promise<void> {
    if (!this.cmd) return;
    this.running = false;
    this.sleeper.wakeAll();
    // CLIENT UNBLOCK ends blocked reads as if timed out: nothing is delivered and lost. Ids are
    // looked up by connection name now, as a reconnect changes them.
    const ids = await clientIdsByName(this.cmd, this.readerNames).catch(() => [] as string[]);
    await Promise.all(ids.map((id) => this.cmd!.client('UNBLOCK', id).catch(() => 0)));
    const fallback = setTimeout(() => this.readers.forEach((r) => r.disconnect()), this.opts.blockMs + 500);
    await Promise.allSettled(this.loops); // the batches in flight finish and write their replies
    clearTimeout(fallback);
    await Promise.allSettled([this.cmd, ...this.readers].map((c) => c.quit()));
    [this.cmd, ...this.readers].forEach((c) => c.disconnect());
    this.cmd = undefined;
    this.readers = [];
    this.readerNames.clear();
    this.loops = [];
    this._status$.next('disconnected');
  }

  /** 'error': a Redis error the read loops are retrying after. */
  on<K extends string, C extends Function>(event: K, callback: C): void {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), callback as unknown as (...args: unknown[]) => void]);
  }

  unwrap<T>(): T {
    return { command: this.cmd, readers: this.readers } as T;
  }

  private emit(event: string, ...args: unknown[]): void {
    for (const cb of this.listeners.get(event) ?? []) cb(...args);
  }

  private async start(): Promise<void> {
    if (this.cmd) return;
    this.running = true;
    this.cmd = openRedis(this.opts.redisUrl, `bus:${this.consumer}:cmd`, false, this.logger);
    try {
      await this.ensureGroup();
    } catch (err) {
      // keep the service up; the read loops retry (and recreate the group) with backoff
      this.logger.error(`cannot create consumer group ${this.group} yet: ${err.message}`);
    }
    for (let i = 0; i < this.opts.concurrency; i++) {
      const name = connectionName(`bus:${this.consumer}:r${i}`);
      const reader = openRedis(this.opts.redisUrl, name, true, this.logger);
      this.readerNames.add(name);
      this.readers.push(reader);
      this.loops.push(this.readLoop(reader));
    }
    this.loops.push(this.claimLoop());
    this._status$.next('connected');
  }

  /** From id 0, so requests sent while no instance ran are served by the first one up. */
  private async ensureGroup(): Promise<void> {
    try {
      await this.cmd!.xgroup('CREATE', this.stream, this.group, '0', 'MKSTREAM');
    } catch (err) {
      if (!String(err?.message).includes('BUSYGROUP')) throw err;
    }
  }

  private async readLoop(reader: Redis): Promise<void> {
    let backoff = 100;
    while (this.running) {
      try {
        const res = (await reader.xreadgroup(
          'GROUP', this.group, this.consumer, 'COUNT', this.opts.batchSize, 'BLOCK', this.opts.blockMs, 'STREAMS', this.stream, '>',
        )) as unknown as Array<[string, StreamEntry[]]> | null;
        backoff = 100;
        const entries = res?.[0]?.[1] ?? [];
        if (entries.length > 0) await this.processBatch(entries);
      } catch (err) {
        if (!this.running) break;
        // the stream (and its group) was deleted: recreate and read again at once
        if (String(err?.message).includes('NOGROUP') && (await this.ensureGroup().then(() => true, () => false))) continue;
        this.logger.error(`reading ${this.stream} failed: ${err?.message}; retrying in ${backoff} ms`);
        this.emit('error', err);
        await this.sleeper.sleep(backoff);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
  }

  /** Entries of dead instances: claimed at start and every claimIdleMs/2. */
  private async claimLoop(): Promise<void> {
    const every = Math.max(50, Math.floor(this.opts.claimIdleMs / 2));
    while (this.running) {
      try {
        let cursor = '0-0';
        do {
          const [next, entries] = (await this.cmd!.xautoclaim(
            this.stream, this.group, this.consumer, this.opts.claimIdleMs, cursor, 'COUNT', this.opts.batchSize,
          )) as unknown as [string, StreamEntry[]];
          cursor = next;
          // our own slow batch can look idle too: never handle an entry twice here
          const fresh = entries.filter(([id]) => !this.inFlight.has(id));
          if (fresh.length > 0) {
            this.logger.warn(`claimed ${fresh.length} entries left pending on ${this.stream}`);
            await this.processBatch(fresh);
          }
        } while (cursor !== '0-0' && this.running);
      } catch (err) {
        if (!this.running) break;
        if (!String(err?.message).includes('NOGROUP')) this.logger.error(`claiming on ${this.stream} failed: ${err?.message}`);
      }
      await this.sleeper.sleep(every);
    }
  }

  private async processBatch(entries: StreamEntry[]): Promise<void> {
    const ids = entries.map(([id]) => id);
    ids.forEach((id) => this.inFlight.add(id));
    // a long batch resets its idle time so other instances do not claim it meanwhile
    const refresh = setInterval(() => {
      this.cmd?.xclaim(this.stream, this.group, this.consumer, 0, ...ids, 'JUSTID').catch(() => undefined);
    }, Math.max(50, Math.floor(this.opts.claimIdleMs / 2)));
    refresh.unref();
    try {
      const outcomes = await Promise.all(entries.map(([id, flat]) => this.handleEntry(id, fieldsOf(flat))));
      await this.writeBack(ids, outcomes);
    } finally {
      clearInterval(refresh);
      ids.forEach((id) => this.inFlight.delete(id));
    }
  }

  /** One pipeline: an RPUSH + EXPIRE per reply list, one XACK and one XDEL with all ids. */
  private async writeBack(ids: string[], outcomes: Array<Outcome | null>): Promise<void> {
    const byList = new Map<string, string[]>();
    for (const o of outcomes) {
      if (!o) continue;
      const list = byList.get(o.replyTo);
      if (list) list.push(o.json);
      else byList.set(o.replyTo, [o.json]);
    }
    const p = this.cmd!.pipeline();
    for (const [list, replies] of byList) p.rpush(list, ...replies).expire(list, REPLY_TTL_SECONDS);
    p.xack(this.stream, this.group, ...ids).xdel(this.stream, ...ids);
    try {
      const results = (await p.exec()) ?? [];
      const failed = results.find(([err]) => err);
      if (failed) this.logger.error(`writing replies failed: ${failed[0]?.message}`);
    } catch (err) {
      // unacked: the entries stay pending and are claimed (and answered) later
      this.logger.error(`writing replies failed: ${err?.message}; ${ids.length} entries stay pending`);
    }
  }

  /** Never throws: every outcome is a reply (when there is a replyTo) or nothing. */
  private async handleEntry(entryId: string, f: EntryFields): Promise<Outcome | null> {
    const id = f.id || null;
    const reply = (body: { ok: true; data: unknown } | { ok: false; error: WireError }): Outcome | null =>
      f.replyTo ? { replyTo: f.replyTo, json: JSON.stringify({ id, ...body } as WireReply) } : null;
    const fail = (code: WireError['code'], message: string) => reply({ ok: false, error: { code, message } });

    const deadline = Number(f.deadline);
    if (f.deadline && Number.isFinite(deadline) && deadline < Date.now()) return null; // dropped unhandled
    if (!id) return fail(ErrorCodes.ValidationFailed, 'id: is required');
    if (!f.pattern) return fail(ErrorCodes.ValidationFailed, 'pattern: is required');
    if (!f.deadline || !Number.isFinite(deadline)) return fail(ErrorCodes.ValidationFailed, 'deadline: must be Unix milliseconds');
    const handler = this.getHandlerByPattern(f.pattern);
    if (!handler) return fail(ErrorCodes.UnknownPattern, `no handler for pattern ${f.pattern}`);
    let data: unknown;
    try {
      data = JSON.parse(f.data ?? '');
    } catch {
      return fail(ErrorCodes.ValidationFailed, 'data: must be JSON');
    }
    try {
      const ctx = new RedisStreamsContext([this.stream, entryId, f.pattern, id, this.consumer]);
      const value = await this.beforeDeadline(lastValueFrom(this.transformToObservable(handler(data, ctx)), { defaultValue: null }), deadline);
      return reply({ ok: true, data: value ?? null });
    } catch (err) {
      return reply({ ok: false, error: toWireError(err) });
    }
  }

  /** The caller stops waiting at the deadline; a stuck handler must not hold the batch past it. */
  private beforeDeadline<T>(work: Promise<T>, deadline: number): Promise<T> {
    const ms = deadline - Date.now();
    if (ms > MAX_TIMER_MS) return work;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new AppError(ErrorCodes.Timeout, 'the handler did not finish before the deadline')), Math.max(0, ms));
    });
    return Promise.race([work, expired]).finally(() => clearTimeout(timer));
  }
}
