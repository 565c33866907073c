import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import type { ReadPacket, WritePacket } from '@nestjs/microservices';
import type { RedisOptions } from 'ioredis';
import { AppError, BusServices, ErrorCodes, isWireError, ownerOf } from '@mfa/contracts';
import type { BusMetrics } from './bus-metrics';
import { isCluster, openRedis, type RedisConnection } from './redis-connection';
import { partitionOf } from '@mfa-platform/client';
import { requestStream } from '@mfa-platform/client/wire';
import { currentTraceparent, endSpan, SpanAttributes, SpanKind, startSpan, traceparentOf, Tracing } from './tracing';
import type { Span } from '@opentelemetry/api';
import { DEFAULT_TIMEOUT_MS, MAX_DEADLINE_AHEAD_MS, readReplies, replyPrefixOf, requestFields } from './wire';
import type { BusCredentials, WireReply } from './wire';

export interface BusClientOptions {
  redisUrl: string;
  /** the key every entry is signed with: a service key, or `platformCredentials(...)` */
  credentials: BusCredentials;
  /** extra connection options, e.g. `{ username, password, enableReadyCheck: false }` for a Redis ACL user */
  redisOptions?: RedisOptions;
  /** default time a request waits for its reply (and its deadline on the wire) */
  timeoutMs?: number;
  /** bus_client_* series on /metrics; none: nothing is counted */
  metrics?: BusMetrics;
  /** the sending service's name on its spans (`org-service`); default `bus-client` */
  serviceName?: string;
  /** BUS_PARTITIONS: > 1 puts an entry on partition hash(accountId) of its service's stream (any one without an accountId) */
  partitions?: number;
}

/** How long close() waits to delete its reply list and say QUIT before it just disconnects. */
const CLOSE_TIDY_MS = 1000;

interface Waiter {
  resolve: (data: unknown) => void;
  reject: (err: AppError) => void;
  timer: NodeJS.Timeout;
  pattern: string;
  /** performance.now() at send, for bus_client_request_duration_seconds */
  started: number;
  /** the client span, when tracing is on: its traceparent goes on the entry */
  span?: Span;
}

interface Outgoing {
  stream: string;
  fields: string[];
  fail: (err: AppError) => void;
}

/**
 * The bus client (a ClientProxy). Signs every entry with its credentials. One reply list per
 * instance (`bus:reply:<keyId>:<uuid>`), many requests
 * in flight over it: one blocking connection BLPOPs it and drains with LPOP; replies are matched
 * to callers by id. XADDs issued in the same tick go out in one pipeline.
 */
export class BusClient extends ClientProxy {
  readonly replyList: string;
  private readonly logger = new Logger(BusClient.name);
  private readonly timeoutMs: number;
  private cmd?: RedisConnection;
  private blocking?: RedisConnection;
  private poller?: Promise<void>;
  private closed = false;
  private readonly waiting = new Map<string, Waiter>();
  private outbox: Outgoing[] = [];
  /** resolves the poller's `stopped` (a new one on every connect) */
  private stop?: () => void;

  constructor(private readonly options: BusClientOptions) {
    super();
    if (!options?.redisUrl) throw new Error('BusClient: redisUrl is required');
    if (!options.credentials?.keyId || !options.credentials.secret) throw new Error('BusClient: credentials (keyId, secret) are required');
    this.replyList = `${replyPrefixOf(options.credentials.keyId)}${randomUUID()}`;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** Opens the connections (ioredis connects in the background; commands wait for it). */
  async connect(): Promise<void> {
    if (this.cmd) return;
    this.closed = false;
    this.cmd = openRedis(this.options.redisUrl, `bus-client:${this.replyList}`, false, this.logger, this.options.redisOptions);
    this.blocking = openRedis(this.options.redisUrl, `bus-client:${this.replyList}:replies`, true, this.logger, this.options.redisOptions);
    const stopped = new Promise<void>((resolve) => (this.stop = resolve));
    this.poller = this.poll(this.blocking, stopped);
  }

  async close(): Promise<void> {
    if (!this.cmd) return;
    this.closed = true;
    for (const [id, w] of this.waiting) {
      clearTimeout(w.timer);
      this.count(w, ErrorCodes.Unavailable);
      w.reject(new AppError(ErrorCodes.Unavailable, 'bus client closed'));
      this.waiting.delete(id);
    }
    this.blocking?.disconnect(); // ends the BLPOP at once; nothing more is read from our list
    this.stop?.(); // and if it does not (a cluster still connecting), the poller leaves it
    await this.poller;
    const cmd = this.cmd;
    // DEL and QUIT wait in the offline queue while Redis is unreachable or our ACL user was revoked
    // (every reconnect is refused): bounded, then the connection is dropped (the list expires by itself)
    const tidy = (async () => {
      await cmd.del(this.replyList);
      await cmd.quit();
    })().catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([tidy, new Promise((r) => (timer = setTimeout(r, CLOSE_TIDY_MS)))]);
    clearTimeout(timer);
    cmd.disconnect();
    this.cmd = undefined;
    this.blocking = undefined;
    this.poller = undefined;
  }

  unwrap<T>(): T {
    return this.cmd as T;
  }

  /**
   * Sends one request and resolves with the reply's `data`; rejects with an AppError carrying
   * the reply's error code, `timeout` past the deadline, or `unknown_pattern` at once.
   */
  async request(pattern: string, data: unknown, timeoutMs = this.timeoutMs): Promise<unknown> {
    const owner = ownerOf(pattern);
    if (!owner) throw new AppError(ErrorCodes.UnknownPattern, `no service owns pattern ${pattern}`);
    await this.connect();
    if (this.closed) throw new AppError(ErrorCodes.Unavailable, 'bus client closed');
    const id = randomUUID();
    timeoutMs = Math.min(timeoutMs, MAX_DEADLINE_AHEAD_MS); // a server refuses deadlines further ahead
    const deadline = Date.now() + timeoutMs;
    const span = Tracing.enabled
      ? startSpan(this.options.serviceName ?? 'bus-client', pattern, SpanKind.CLIENT, { [SpanAttributes.Pattern]: pattern })
      : undefined;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id); // a late reply finds no waiter and is ignored
        this.count(w, ErrorCodes.Timeout);
        reject(new AppError(ErrorCodes.Timeout, `no reply to ${pattern} within ${timeoutMs} ms`));
      }, timeoutMs);
      const w: Waiter = { resolve, reject, timer, pattern, started: performance.now(), span };
      this.waiting.set(id, w);
      const fail = (err: AppError) => {
        if (!this.waiting.delete(id)) return;
        clearTimeout(timer);
        this.count(w, err.code);
        reject(err);
      };
      this.enqueue({
        stream: this.streamFor(owner, data),
        fields: requestFields(this.options.credentials, id, pattern, data, this.replyList, deadline, span && traceparentOf(span)),
        fail,
      });
    });
  }

  private patternOf(packet: ReadPacket): string {
    const pattern: unknown = packet.pattern;
    return typeof pattern === 'string' ? pattern : this.normalizePattern(pattern as Parameters<BusClient['normalizePattern']>[0]);
  }

  /** ClientProxy.send(): the default timeout applies. */
  protected publish(packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    const pattern = this.patternOf(packet);
    let live = true;
    this.request(pattern, packet.data).then(
      (response) => live && callback({ response, isDisposed: true }),
      (err: unknown) => live && callback({ err }),
    );
    return () => {
      live = false;
    };
  }

  /** ClientProxy.emit(): fire and forget; the entry has no replyTo, so no reply is written. */
  protected async dispatchEvent<T = unknown>(packet: ReadPacket): Promise<T> {
    const pattern = this.patternOf(packet);
    const owner = ownerOf(pattern);
    if (!owner) throw new AppError(ErrorCodes.UnknownPattern, `no service owns pattern ${pattern}`);
    await this.connect();
    const fields = requestFields(
      this.options.credentials,
      randomUUID(),
      pattern,
      packet.data,
      null,
      Date.now() + this.timeoutMs,
      currentTraceparent(),
    );
    return (await this.cmd!.xadd(this.streamFor(owner, packet.data), '*', ...fields)) as T;
  }

  /** The owner's stream, or the partition its account id hashes to (the same one every time). */
  private streamFor(owner: keyof typeof BusServices, data: unknown): string {
    const partitions = this.options.partitions ?? 1;
    if (partitions <= 1) return BusServices[owner].stream;
    const accountId = (data as { accountId?: unknown } | null)?.accountId;
    return requestStream(owner, partitionOf(typeof accountId === 'string' ? accountId : undefined, partitions));
  }

  private enqueue(out: Outgoing): void {
    this.outbox.push(out);
    if (this.outbox.length === 1) setImmediate(() => this.flush());
  }

  private async flush(): Promise<void> {
    const batch = this.outbox;
    this.outbox = [];
    if (!this.cmd) return batch.forEach((o) => o.fail(new AppError(ErrorCodes.Unavailable, 'bus client closed')));
    const cmd = this.cmd;
    try {
      // a cluster's pipeline may not span nodes: one XADD each there, all sent at once (auto-pipelined per node: openRedis)
      const results: Array<[Error | null, unknown]> = isCluster(cmd)
        ? await Promise.all(
            batch.map((o) =>
              cmd.xadd(o.stream, '*', ...o.fields).then(
                (id): [null, unknown] => [null, id],
                (err: Error): [Error, unknown] => [err, undefined],
              ),
            ),
          )
        : ((await batch.reduce((p, o) => p.xadd(o.stream, '*', ...o.fields), cmd.pipeline()).exec()) ?? []);
      results.forEach(([err], i) => err && batch[i].fail(new AppError(ErrorCodes.Unavailable, `bus send failed: ${err.message}`)));
    } catch (err) {
      batch.forEach((o) => o.fail(new AppError(ErrorCodes.Unavailable, `bus send failed: ${(err as Error | undefined)?.message}`)));
    }
  }

  /** The wire code's reply loop (shared with MfaClient): trusted replies to our waiters come to settle(). */
  private poll(conn: RedisConnection, stopped: Promise<void>): Promise<void> {
    return readReplies({
      connection: conn,
      stopped,
      list: this.replyList,
      secret: this.options.credentials.secret,
      running: () => !this.closed,
      waiting: (id) => this.waiting.has(id),
      deliver: (reply) => this.settle(reply),
      ignored: (why) => this.logger.warn(why),
      failed: (err) => this.logger.error(`reading replies failed: ${(err as Error | undefined)?.message}`),
    });
  }

  /** Once per request, whichever way it settles: its metrics and the end of its span. */
  private count(w: Waiter, outcome: string): void {
    this.options.metrics?.sent(w.pattern, outcome, (performance.now() - w.started) / 1000);
    if (w.span) endSpan(w.span, outcome);
  }

  private settle(reply: WireReply & { id: string }): void {
    const w = this.waiting.get(reply.id);
    if (!w) return;
    this.waiting.delete(reply.id);
    clearTimeout(w.timer);
    if (reply.ok) {
      this.count(w, 'ok');
      return w.resolve(reply.data);
    }
    const e = isWireError(reply.error) ? reply.error : { code: ErrorCodes.Internal, message: 'malformed error reply' };
    this.count(w, e.code);
    // errorId (internal errors) stays reachable for logs: `err.errorId`
    w.reject(Object.assign(new AppError(e.code, e.message, e.details), e.errorId ? { errorId: e.errorId } : {}));
  }
}
