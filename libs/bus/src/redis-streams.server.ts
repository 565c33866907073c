import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Logger } from '@nestjs/common';
import { Server } from '@nestjs/microservices';
import type { CustomTransportStrategy } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { AppError, BusServices, ErrorCodes, ExpensivePatterns, isUuid, Patterns, ScopeOfPattern } from '@mfa/contracts';
import { requestStream } from '@mfa-platform/client/wire';
// a Cluster has the same command methods; TypeScript cannot pick an overload of a spread call on the union
import type { Redis } from 'ioredis';
import type { BusServiceName, WireError } from '@mfa/contracts';
import { constantTimeEqual } from '@mfa/crypto';
import { toWireError } from './bus-errors';
import { RejectReasons } from './bus-metrics';
import type { BusMetrics, RejectReason } from './bus-metrics';
import type { BusCaller, CallerDirectory, ServiceKeyRecord } from './callers';
import type { PrefetchReads, Prefetcher } from './prefetch';
import { FairScheduler } from './fair-scheduler';
import {
  connectionName,
  execGroups,
  isCluster,
  type Multi,
  openRedis,
  type RedisConnection,
  Sleeper,
  unblockByName,
} from './redis-connection';
import { RedisStreamsContext } from './redis-streams.context';
import { endSpan, parentContext, SpanAttributes, SpanKind, startSpan, Tracing, withSpan } from './tracing';
import {
  fieldsOf,
  MAX_DATA_BYTES,
  MAX_PLATFORM_DATA_BYTES,
  MAX_DEADLINE_AHEAD_MS,
  MAX_FIELD_BYTES,
  PLATFORM_KEY_PREFIX,
  REPLY_LIST_PREFIX,
  REPLY_TTL_SECONDS,
  replyPrefixOf,
  signEntry,
  signReply,
} from './wire';
import type { EntryFields } from './wire';

export interface RedisStreamsServerOptions {
  redisUrl: string;
  service: BusServiceName;
  /** the HMAC secret of `platform:*` key ids (InternalKey.busSecret) */
  platformSecret: string;
  /** member services' keys and accounts' orgs; without one only the platform is served */
  directory?: CallerDirectory;
  /** one consumer per instance; default hostname-pid-random */
  consumerName?: string;
  batchSize?: number;
  blockMs?: number;
  /** entries pending this long on any consumer are claimed and handled here */
  claimIdleMs?: number;
  /** read loops in flight, each on its own connection */
  concurrency?: number;
  /** expensive handlers (ExpensivePatterns) running at once, taking turns between orgs; 1 keeps a core for everything else on a 2-core box */
  expensiveConcurrency?: number;
  /** bus_* series on /metrics (BusMetrics.for(registry, name)); none: nothing is counted */
  metrics?: BusMetrics;
  /** the service's name on its spans (`account-service`); default `<service>-service` */
  serviceName?: string;
  /** reads started at the gate for some patterns' handlers (BUS_PREFETCH) */
  prefetch?: ReadonlyMap<string, Prefetcher>;
  /** BUS_PARTITIONS: > 1 reads `bus:<service>:requests:<0..n-1>`, each with its own readers (default 1: `bus:<service>:requests`) */
  partitions?: number;
}

type StreamEntry = [id: Buffer, fields: Buffer[] | null];
interface Outcome {
  replyTo: string;
  json: string;
}
/** An entry that passed the gate: signed, fresh, in scope, bound to its caller's org. */
interface Admitted {
  entryId: string;
  id: string;
  pattern: string;
  replyTo?: string;
  deadline: number;
  caller: BusCaller;
  /** the caller's secret: its replies are signed with it */
  secret: string;
  data: unknown;
  /** the caller's span (signed with the entry), the parent of ours when tracing is on */
  traceparent?: string;
  /** the request stream (partition) it came from: its XACK goes there */
  stream: string;
  /** what the pattern's Prefetcher started, for the handler */
  prefetched?: unknown;
}
/** Why an entry is dropped or refused, kept for the metrics until the outcome is known. */
type Refusal = { entryId: string; outcome: Outcome | null; pattern?: string; reason: RejectReason; code: string };
type Gate = Refusal | Admitted;

const MAX_BACKOFF_MS = 5000;

/** ioredis has XCLAIM with Buffer replies (`xclaimBuffer`) but does not type it. */
interface BufferClaim {
  xclaimBuffer(stream: string, group: string, consumer: string, minIdleMs: number, id: string): Promise<StreamEntry[]>;
}

/** A claimed entry delivered this often already made a consumer die: it is not handed out again. */
const POISON_DELIVERIES = 2;
const DEAD_LETTER_MAXLEN = 10_000;

/**
 * Request/reply over Redis Streams (docs/bus-protocol.md). Every entry passes a gate before any
 * handler runs: envelope and sizes, signature (constant time), deadline, replay, `replyTo`
 * confined to the key's prefix, scope, and the org of any `accountId` (docs/security.md).
 */
export class RedisStreamsServer extends Server implements CustomTransportStrategy {
  protected readonly logger = new Logger(RedisStreamsServer.name);
  /** the unpartitioned request stream, `bus:<service>:requests` */
  readonly stream: string;
  /** every request stream this server reads: that one, and with partitions one per partition */
  readonly streams: string[];
  readonly group: string;
  readonly deadLetters: string;
  readonly consumer: string;
  private readonly opts: Required<
    Omit<RedisStreamsServerOptions, 'consumerName' | 'directory' | 'metrics' | 'serviceName' | 'partitions' | 'prefetch'>
  >;
  private readonly serviceName: string;
  private readonly metrics?: BusMetrics;
  private unwatch?: () => void;
  /** readers whose last read failed (Redis down, group gone): the consumer is not up */
  private readonly failing = new Set<RedisConnection>();
  private readonly directory?: CallerDirectory;
  private readonly prefetchers?: ReadonlyMap<string, Prefetcher>;
  private cmd?: RedisConnection;
  private readers: RedisConnection[] = [];
  private readonly readerNames = new Set<string>();
  private loops: Promise<void>[] = [];
  private running = false;
  /** entries being handled here, as `<stream> <entry id>` (ids are unique per stream only) */
  private readonly inFlight = new Set<string>();
  private refresher?: NodeJS.Timeout;
  private readonly sleeper = new Sleeper();
  private readonly expensive: FairScheduler;
  private readonly listeners = new Map<string, Array<(...args: unknown[]) => void>>();

  constructor(options: RedisStreamsServerOptions) {
    super();
    const svc = BusServices[options.service];
    if (!svc) throw new Error(`RedisStreamsServer: unknown service "${options.service}"`);
    if (!options.platformSecret) throw new Error('RedisStreamsServer: platformSecret is required');
    const partitions = options.partitions ?? 1;
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > 64) throw new Error('RedisStreamsServer: partitions must be 1..64');
    // partitioned, the unpartitioned stream is read too: a sender that does not know BUS_PARTITIONS is still
    // served, and entries queued before the change are not stranded
    this.streams = [svc.stream, ...(partitions > 1 ? Array.from({ length: partitions }, (_, i) => requestStream(options.service, i)) : [])];
    this.stream = svc.stream;
    this.group = svc.group;
    this.deadLetters = `bus:${options.service}:dead`;
    this.consumer = options.consumerName ?? `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
    this.directory = options.directory;
    this.prefetchers = options.prefetch?.size ? options.prefetch : undefined;
    this.metrics = options.metrics;
    this.serviceName = options.serviceName ?? `${options.service}-service`;
    this.opts = {
      redisUrl: options.redisUrl,
      service: options.service,
      platformSecret: options.platformSecret,
      batchSize: options.batchSize ?? 100,
      blockMs: options.blockMs ?? 1000,
      claimIdleMs: options.claimIdleMs ?? 5000,
      concurrency: Math.max(1, options.concurrency ?? 2),
      expensiveConcurrency: Math.max(1, options.expensiveConcurrency ?? 1),
    };
    this.expensive = new FairScheduler(this.opts.expensiveConcurrency, 50);
  }

  listen(callback: (err?: unknown) => void): void {
    this.start().then(
      () => callback(),
      (err) => callback(err),
    );
  }

  /**
   * Whether this server consumes its stream now: started, not closing, every read connection
   * ready and its last read fine (GET /health/ready).
   */
  get consuming(): boolean {
    return this.running && this.readers.length > 0 && this.failing.size === 0 && this.readers.every((r) => r.status === 'ready');
  }

  /** XINFO GROUPS' pending and lag of this service's group (null: not known right now); for the scrape, never the hot path. */
  async groupInfo(timeoutMs = 500): Promise<{ pending: number; lag: number | null } | null> {
    const cmd = this.cmd;
    if (!cmd || cmd.status !== 'ready') return null;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), timeoutMs)));
    const one = (stream: string) =>
      cmd.xinfo('GROUPS', stream).then(
        (groups) => {
          for (const flat of groups as unknown[][]) {
            const g = new Map<string, unknown>();
            for (let i = 0; i + 1 < flat.length; i += 2) g.set(String(flat[i]), flat[i + 1]);
            if (g.get('name') !== this.group) continue;
            const lag = g.get('lag');
            return { pending: Number(g.get('pending') ?? 0), lag: typeof lag === 'number' ? lag : null };
          }
          return null;
        },
        () => null,
      );
    // partitions summed; one not known makes the whole unknown
    const info = Promise.all(this.streams.map(one)).then((all) => {
      let pending = 0;
      let lag: number | null = 0;
      for (const a of all) {
        if (!a) return null;
        pending += a.pending;
        lag = lag === null || a.lag === null ? null : lag + a.lag;
      }
      return { pending, lag };
    });
    return Promise.race([info, late]).finally(() => clearTimeout(timer));
  }

  async close(): Promise<void> {
    if (!this.cmd) return;
    this.running = false;
    this.unwatch?.();
    this.sleeper.wakeAll();
    // CLIENT UNBLOCK ends blocked reads as if timed out: nothing is delivered and lost. Ids are
    // looked up by connection name now (on every master of a cluster), as a reconnect changes them.
    await unblockByName(this.cmd, this.readerNames).catch(() => undefined);
    const fallback = setTimeout(() => this.readers.forEach((r) => r.disconnect()), this.opts.blockMs + 500);
    await Promise.allSettled(this.loops); // the batches in flight finish and write their replies
    await this.expensive.drained();
    clearTimeout(fallback);
    clearInterval(this.refresher);
    await Promise.allSettled([this.cmd, ...this.readers].map((c) => c.quit()));
    [this.cmd, ...this.readers].forEach((c) => c.disconnect());
    this.cmd = undefined;
    this.readers = [];
    this.readerNames.clear();
    this.failing.clear();
    this.loops = [];
    this._status$.next('disconnected');
  }

  /** 'error': a Redis error the read loops are retrying after. */
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- Nest's Server.on signature
  on<K extends string, C extends Function>(event: K, callback: C): void {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), callback as unknown as (...args: unknown[]) => void]);
  }

  unwrap<T>(): T {
    return { command: this.cmd, readers: this.readers } as T;
  }

  /**
   * Our patterns are plain strings, registered as they are: looked up directly. Nest's own lookup
   * first tries JSON.parse on every pattern (an exception per call for a plain string); a pattern
   * not registered as such still goes that way, so what an unknown pattern finds does not change.
   */
  override getHandlerByPattern(pattern: string): ReturnType<Server['getHandlerByPattern']> {
    return this.messageHandlers.get(pattern) ?? super.getHandlerByPattern(pattern);
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
      this.logger.error(`cannot create consumer group ${this.group} yet: ${(err as Error).message}`);
    }
    // entries in work keep a fresh idle time, so other instances do not claim them meanwhile
    this.refresher = setInterval(
      () => {
        for (const [stream, ids] of this.inFlightByStream())
          (this.cmd as Redis | undefined)?.xclaim(stream, this.group, this.consumer, 0, ...ids, 'JUSTID').catch(() => undefined);
      },
      Math.max(50, Math.floor(this.opts.claimIdleMs / 2)),
    );
    this.refresher.unref();
    // one XREADGROUP reads one stream: streams of other slots cannot share a read on a cluster
    for (const [p, stream] of this.streams.entries())
      for (let i = 0; i < this.opts.concurrency; i++) {
        const name = connectionName(`bus:${this.consumer}:r${this.streams.length > 1 ? `${p}.` : ''}${i}`);
        const reader = openRedis(this.opts.redisUrl, name, true, this.logger);
        this.readerNames.add(name);
        this.readers.push(reader);
        this.loops.push(this.readLoop(reader, stream));
      }
    this.loops.push(this.claimLoop());
    this.unwatch = this.metrics?.watchGroup(() => this.groupInfo());
    this._status$.next('connected');
  }

  /** From id 0, so requests sent while no instance ran are served by the first one up. */
  private async ensureGroup(streams = this.streams): Promise<void> {
    for (const stream of streams) {
      try {
        await this.cmd!.xgroup('CREATE', stream, this.group, '0', 'MKSTREAM');
      } catch (err) {
        if (!String((err as Error | undefined)?.message).includes('BUSYGROUP')) throw err;
      }
    }
  }

  /** The entries in work here, by stream. */
  private inFlightByStream(): Map<string, string[]> {
    const by = new Map<string, string[]>();
    for (const key of this.inFlight) {
      const at = key.indexOf(' ');
      const stream = key.slice(0, at);
      const list = by.get(stream);
      if (list) list.push(key.slice(at + 1));
      else by.set(stream, [key.slice(at + 1)]);
    }
    return by;
  }

  /**
   * Reads batches as Buffers: a big field stays off the V8 heap and is measured before anything
   * reads it. (Capping sizes inside Redis with a script was tried: Redis copies every value into
   * Lua first, and a few huge entries stalled the whole server for seconds. The size of what a
   * client can XADD is bounded by Redis' `proto-max-bulk-len`, docs/security.md.)
   */
  private async readLoop(reader: RedisConnection, stream: string): Promise<void> {
    let backoff = 100;
    while (this.running) {
      try {
        const res = await reader.xreadgroupBuffer(
          'GROUP',
          this.group,
          this.consumer,
          'COUNT',
          this.opts.batchSize,
          'BLOCK',
          this.opts.blockMs,
          'STREAMS',
          stream,
          '>',
        );
        backoff = 100;
        this.failing.delete(reader);
        const entries = res?.[0]?.[1] ?? [];
        if (entries.length > 0) {
          this.metrics?.batch(entries.length);
          await this.processBatch(entries, stream);
        }
      } catch (err) {
        if (!this.running) break;
        this.failing.add(reader);
        // the stream (and its group) was deleted: recreate and read again at once
        if (
          String((err as Error | undefined)?.message).includes('NOGROUP') &&
          (await this.ensureGroup([stream]).then(
            () => true,
            () => false,
          ))
        )
          continue;
        this.logger.error(`reading ${stream} failed: ${(err as Error | undefined)?.message}; retrying in ${backoff} ms`);
        this.emit('error', err);
        await this.sleeper.sleep(backoff);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
  }

  /**
   * Entries of dead instances, at start and every claimIdleMs/2. Each is handled alone, so an
   * entry that kills its consumer kills at most that one more; an entry claimed before (its
   * consumer died again) is dead-lettered and answered instead of handed out a third time.
   */
  private async claimLoop(): Promise<void> {
    const every = Math.max(50, Math.floor(this.opts.claimIdleMs / 2));
    while (this.running) {
      for (const stream of this.streams) {
        if (!this.running) break;
        try {
          await this.claimFrom(stream);
        } catch (err) {
          if (!this.running) break;
          if (!String((err as Error | undefined)?.message).includes('NOGROUP'))
            this.logger.error(`claiming on ${stream} failed: ${(err as Error | undefined)?.message}`);
        }
      }
      await this.sleeper.sleep(every);
    }
  }

  private async claimFrom(stream: string): Promise<void> {
    for (;;) {
      const pending = (await this.cmd!.xpending(stream, this.group, 'IDLE', this.opts.claimIdleMs, '-', '+', this.opts.batchSize)) as Array<
        [string, string, number, number]
      >;
      const stale = pending.filter(([id]) => !this.inFlight.has(`${stream} ${id}`));
      if (stale.length === 0 || !this.running) break;
      const poison = stale.filter(([, , , deliveries]) => deliveries >= POISON_DELIVERIES).map(([id]) => id);
      if (poison.length > 0) await this.deadLetter(stream, poison);
      const retry = stale.filter(([, , , deliveries]) => deliveries < POISON_DELIVERIES).map(([id]) => id);
      if (retry.length > 0) {
        this.logger.warn(`claiming ${retry.length} entries left pending on ${stream}`);
        for (const id of retry) {
          if (!this.running) break;
          // one at a time: each may be big, and each is handled alone. Not `callBuffer('XCLAIM', ...)`:
          // an auto-pipelined connection (a cluster's, openRedis) sends `call`'s key as the command name
          const [entry] = await (this.cmd as unknown as BufferClaim).xclaimBuffer(
            stream,
            this.group,
            this.consumer,
            this.opts.claimIdleMs,
            id,
          );
          if (entry) await this.processBatch([entry], stream);
        }
      }
      if (pending.length < this.opts.batchSize) break;
    }
  }

  /** Moves entries a consumer died on to `bus:<service>:dead` (envelope only) and answers them. */
  private async deadLetter(stream: string, ids: string[]): Promise<void> {
    const mine = (await (this.cmd as Redis).xclaim(stream, this.group, this.consumer, this.opts.claimIdleMs, ...ids, 'JUSTID')) as string[];
    this.metrics?.deadLettered(mine.length);
    for (const entryId of mine) {
      const [entry] = (await this.cmd!.xrangeBuffer(stream, entryId, entryId)) as unknown as StreamEntry[];
      const f = fieldsOf(entry?.[1]);
      this.logger.error(`dead-lettered ${entryId} (${f.pattern ?? '?'} from ${f.keyId ?? '?'}): a consumer stopped while handling it`);
      // the dead letter, the answer, then the XACK (one MULTI on one Redis; per key on a cluster)
      const groups: Array<(m: Multi) => unknown> = [];
      groups.push((m) =>
        m.xadd(
          this.deadLetters,
          'MAXLEN',
          '~',
          DEAD_LETTER_MAXLEN,
          '*',
          'entryId',
          entryId,
          'id',
          f.id ?? '',
          'pattern',
          f.pattern ?? '',
          'keyId',
          f.keyId ?? '',
          'dataBytes',
          String(f.data?.length ?? 0),
          'at',
          new Date().toISOString(),
        ),
      );
      const to = f.replyTo && f.keyId && f.replyTo.startsWith(replyPrefixOf(f.keyId)) ? f.replyTo : null;
      if (to) {
        const error: WireError = {
          code: ErrorCodes.Internal,
          message: 'dead-lettered: a consumer stopped while handling this entry; it is not retried',
        };
        // signed like any reply when the entry's own signature holds, so the caller's client takes it
        const answer = this.reply({ id: f.id ?? null, replyTo: to, secret: (await this.secretOf(f)) ?? undefined }, { ok: false, error })!;
        groups.push((m) => m.rpush(to, answer.json).expire(to, REPLY_TTL_SECONDS));
      }
      await execGroups(this.cmd!, groups, (m) => m.xack(stream, this.group, entryId).xdel(stream, entryId));
    }
  }

  /** The secret of a key id: the platform's, or a service key's in force (null: unknown or revoked). */
  private keySecret(keyId: string, record: ServiceKeyRecord | undefined): string | null {
    if (keyId.startsWith(PLATFORM_KEY_PREFIX)) return this.opts.platformSecret;
    return record && !record.revoked ? record.secret : null;
  }

  /** Whether `sig` is the contract's HMAC of the entry under `secret`, compared in constant time. */
  private signatureHolds(f: EntryFields, secret: string): boolean {
    return constantTimeEqual(
      signEntry(secret, f.id ?? '', f.pattern ?? '', f.deadline ?? '', f.replyTo ?? '', f.data ?? '', f.traceparent),
      (f.sig ?? '').toLowerCase(),
    );
  }

  /** The secret an entry was signed with, when its signature holds (the dead-letter path). */
  private async secretOf(f: EntryFields): Promise<string | null> {
    if (!f.keyId || !f.sig) return null;
    const record = f.keyId.startsWith(PLATFORM_KEY_PREFIX)
      ? undefined
      : (await this.directory?.serviceKeys([f.keyId]).catch(() => undefined))?.get(f.keyId);
    const secret = this.keySecret(f.keyId, record);
    return secret && this.signatureHolds(f, secret) ? secret : null;
  }

  private async processBatch(raw: StreamEntry[], stream: string): Promise<void> {
    const ids = raw.map(([id]) => id.toString());
    ids.forEach((id) => this.inFlight.add(`${stream} ${id}`));
    const later = new Set<string>();
    try {
      const entries = raw.map(([, flat], i) => ({ entryId: ids[i], f: fieldsOf(flat) }));
      // ignored (the entry is handled as if it had none), but visible
      for (const e of entries) if (e.f.traceparentInvalid) this.metrics?.invalidTraceContext('bus');
      const gates = await this.admit(entries, stream);
      const now: Array<Promise<Outcome | null>> = [];
      for (const g of gates) {
        if (!('caller' in g)) {
          this.metrics?.served(g.pattern, g.code);
          this.metrics?.rejected(g.reason);
          now.push(Promise.resolve(g.outcome));
        } else if (!ExpensivePatterns.has(g.pattern)) now.push(this.run(g));
        else {
          later.add(g.entryId);
          now.push(Promise.resolve(this.schedule(g, later)));
        }
      }
      const outcomes = await Promise.all(now);
      await this.writeBack(
        stream,
        ids.filter((id) => !later.has(id)),
        outcomes,
      );
    } finally {
      ids.filter((id) => !later.has(id)).forEach((id) => this.inFlight.delete(`${stream} ${id}`));
    }
  }

  /** Expensive work waits its org's turn; its reply is written on its own when done. */
  private schedule(g: Admitted, later: Set<string>): Outcome | null {
    const org = g.caller.kind === 'service' ? g.caller.orgId : g.caller.keyId;
    const accepted = this.expensive.submit(org, async () => {
      try {
        const outcome = await this.run(g);
        await this.writeBack(g.stream, [g.entryId], [outcome]);
      } finally {
        this.inFlight.delete(`${g.stream} ${g.entryId}`);
      }
    });
    if (accepted) return null;
    later.delete(g.entryId);
    this.metrics?.served(g.pattern, ErrorCodes.RateLimited);
    this.metrics?.rejected(RejectReasons.Busy);
    return this.reply(g, {
      ok: false,
      error: { code: ErrorCodes.RateLimited, message: 'too many expensive requests of this org in progress; retry later' },
    });
  }

  /**
   * One MULTI: an RPUSH + EXPIRE per reply list (atomic, so no list outlives its TTL), one XACK and
   * one XDEL with all ids. On a cluster (a MULTI stays in one slot): one MULTI per reply list, then
   * the XACK + XDEL once every reply is written, so an entry is never acked without its reply.
   */
  private async writeBack(stream: string, ids: string[], outcomes: Array<Outcome | null>): Promise<void> {
    if (ids.length === 0) return;
    const byList = new Map<string, string[]>();
    for (const o of outcomes) {
      if (!o) continue;
      const list = byList.get(o.replyTo);
      if (list) list.push(o.json);
      else byList.set(o.replyTo, [o.json]);
    }
    try {
      const failed = await execGroups(
        this.cmd!,
        [...byList].map(
          ([list, replies]) =>
            (m: Multi) =>
              m.rpush(list, ...replies).expire(list, REPLY_TTL_SECONDS),
        ),
        (m) => m.xack(stream, this.group, ...ids).xdel(stream, ...ids),
      );
      if (failed) this.logger.error(`writing replies failed: ${failed.message}`);
    } catch (err) {
      // unacked: the entries stay pending and are claimed (and answered) later
      this.logger.error(`writing replies failed: ${(err as Error | undefined)?.message}; ${ids.length} entries stay pending`);
    }
  }

  /** A reply to an authenticated entry is signed with its caller's secret (signReply), so Redis alone cannot forge one. */
  private reply(
    g: { id: string | null; replyTo?: string; secret?: string },
    body: { ok: true; data: unknown } | { ok: false; error: WireError },
  ): Outcome | null {
    if (!g.replyTo) return null;
    const json = JSON.stringify({ id: g.id, ...body });
    return { replyTo: g.replyTo, json: g.secret ? signReply(g.secret, json) : json };
  }

  /**
   * The gate, for a whole batch: one directory lookup for its keys, one round trip for replay
   * marks, one for its accounts' orgs. Refusals of entries that failed authentication are written
   * only under `bus:reply:`; an authenticated entry naming a reply list outside its key's prefix
   * is dropped without writing anywhere.
   */
  private async admit(entries: Array<{ entryId: string; f: EntryFields }>, stream: string): Promise<Gate[]> {
    const now = Date.now();
    const gates = new Array<Gate>(entries.length);
    const secrets = new Map<number, string>(); // entries whose signature was checked
    const refuse = (i: number, reason: RejectReason, code: WireError['code'], message: string) => {
      const { entryId, f } = entries[i];
      const to = f.replyTo?.startsWith(REPLY_LIST_PREFIX) ? f.replyTo : undefined;
      gates[i] = {
        entryId,
        pattern: f.pattern,
        reason,
        code,
        outcome: this.reply({ id: f.id ?? null, replyTo: to, secret: secrets.get(i) }, { ok: false, error: { code, message } }),
      };
    };
    const drop = (i: number, reason: RejectReason) =>
      void (gates[i] = { entryId: entries[i].entryId, pattern: entries[i].f.pattern, reason, code: 'dropped', outcome: null });

    // 1. envelope: present, short, fresh; data measured, never read yet
    const signed: number[] = [];
    entries.forEach(({ f }, i) => {
      const deadline = Number(f.deadline);
      if (f.deadline && Number.isFinite(deadline) && deadline < now) return drop(i, RejectReasons.Expired); // dropped unhandled
      if (f.overlong)
        return refuse(i, RejectReasons.Size, ErrorCodes.ValidationFailed, `${f.overlong}: longer than ${MAX_FIELD_BYTES} bytes`);
      if (!f.id) return refuse(i, RejectReasons.Envelope, ErrorCodes.ValidationFailed, 'id: is required');
      if (!f.pattern) return refuse(i, RejectReasons.Envelope, ErrorCodes.ValidationFailed, 'pattern: is required');
      if (!f.deadline || !Number.isFinite(deadline))
        return refuse(i, RejectReasons.Envelope, ErrorCodes.ValidationFailed, 'deadline: must be Unix milliseconds');
      const cap = f.keyId?.startsWith(PLATFORM_KEY_PREFIX) ? MAX_PLATFORM_DATA_BYTES : MAX_DATA_BYTES;
      if ((f.data?.length ?? 0) > cap) return refuse(i, RejectReasons.Size, ErrorCodes.ValidationFailed, `data: larger than ${cap} bytes`);
      if (!f.keyId || !f.sig)
        return refuse(
          i,
          RejectReasons.Unsigned,
          ErrorCodes.Unauthenticated,
          'keyId and sig: required (every entry is signed; see docs/bus-protocol.md)',
        );
      if (deadline > now + MAX_DEADLINE_AHEAD_MS)
        return refuse(i, RejectReasons.Deadline, ErrorCodes.Unauthenticated, `deadline: more than ${MAX_DEADLINE_AHEAD_MS / 1000} s ahead`);
      signed.push(i);
    });

    // 2. keys and signatures
    const serviceIds = signed.map((i) => entries[i].f.keyId!).filter((k) => !k.startsWith(PLATFORM_KEY_PREFIX));
    let records = new Map<string, ServiceKeyRecord>();
    let directoryDown = false;
    if (serviceIds.length > 0 && this.directory) {
      try {
        records = await this.directory.serviceKeys(serviceIds);
      } catch (err) {
        directoryDown = true;
        this.logger.error(`looking up service keys failed: ${(err as Error | undefined)?.message}`);
      }
    }
    const callers = new Map<number, BusCaller>();
    // data parsed early (entries whose pattern prefetches), their prefetchers, and what those started
    const early = new Map<number, unknown>();
    const prefetchers = new Map<number, Prefetcher>();
    const prefetched = new Map<number, unknown>();
    for (const i of signed) {
      const f = entries[i].f;
      const keyId = f.keyId!;
      const platform = keyId.startsWith(PLATFORM_KEY_PREFIX);
      const record = platform ? undefined : records.get(keyId);
      if (!platform && directoryDown) {
        refuse(i, RejectReasons.Unavailable, ErrorCodes.Unavailable, 'service keys cannot be checked right now; retry');
        continue;
      }
      const secret = this.keySecret(keyId, record);
      if (!secret || !this.signatureHolds(f, secret)) {
        refuse(
          i,
          secret ? RejectReasons.Signature : RejectReasons.UnknownKey,
          ErrorCodes.Unauthenticated,
          secret
            ? 'sig: does not match (HMAC-SHA256 of id, pattern, deadline, replyTo, data joined by \\n)'
            : 'keyId: unknown or revoked key',
        );
        continue;
      }
      if (f.replyTo && !f.replyTo.startsWith(replyPrefixOf(keyId))) {
        this.logger.warn(`dropped ${f.pattern} from ${keyId}: replyTo outside ${replyPrefixOf(keyId)}`);
        drop(i, RejectReasons.ReplyTo);
        continue;
      }
      callers.set(i, platform ? { kind: 'platform', keyId } : { kind: 'service', keyId, orgId: record!.orgId, scopes: record!.scopes });
      secrets.set(i, secret);
      const prefetcher = this.prefetchers?.get(f.pattern!);
      if (prefetcher) {
        // data that is not JSON is left for step 4 to refuse
        const data = dataOf(f);
        if (data !== NOT_JSON) {
          early.set(i, data);
          prefetchers.set(i, prefetcher);
        }
      }
    }
    // the reads go out with the marks (after them: the marks' replies are read by position)
    const startPrefetches = (redis: PrefetchReads) => {
      for (const [i, prefetcher] of prefetchers)
        try {
          prefetched.set(i, prefetcher(early.get(i), redis));
        } catch (err) {
          // only a lost head start: the handler reads for itself
          this.logger.error(`prefetch for ${entries[i].f.pattern} failed: ${(err as Error | undefined)?.message}`);
        }
    };

    // 3. replay: the first entry with a (keyId, id) pair owns it until its deadline; a claim of the same entry is no replay
    const fresh = [...callers.keys()];
    if (fresh.length > 0) {
      const mark = (c: Pick<RedisConnection, 'set'>, i: number) => {
        const { entryId, f } = entries[i];
        return c.set(`bus:seen:${f.keyId}:${f.id}`, entryId, 'PX', Math.max(1, Number(f.deadline) - now) + 1000, 'NX', 'GET');
      };
      let marks: Array<[Error | null, unknown]>;
      if (isCluster(this.cmd!)) {
        // marks live on every slot: one command each, all sent at once (auto-pipelined per node: openRedis)
        const sent = fresh.map((i) =>
          mark(this.cmd!, i).then(
            (prev): [null, unknown] => [null, prev],
            (err: Error): [Error, unknown] => [err, undefined],
          ),
        );
        startPrefetches(this.cmd);
        marks = await Promise.all(sent);
      } else {
        const p = this.cmd!.pipeline();
        for (const i of fresh) void mark(p as unknown as Pick<RedisConnection, 'set'>, i);
        startPrefetches(pipelineReads(p));
        marks = ((await p.exec()) ?? []).slice(0, fresh.length);
      }
      fresh.forEach((i, n) => {
        const [err, prev] = marks[n] ?? [new Error('no reply')];
        if (err) {
          callers.delete(i);
          refuse(i, RejectReasons.Unavailable, ErrorCodes.Unavailable, 'the request could not be checked for replay; retry');
        } else if (prev !== null && prev !== entries[i].entryId) {
          callers.delete(i);
          refuse(i, RejectReasons.Replay, ErrorCodes.Unauthenticated, 'id: already used with this key (replay)');
        }
      });
    }

    // 4. scope, pattern, payload
    const bound: Array<{ i: number; accountId: string }> = [];
    const parsed = new Map<number, unknown>(); // the entries admitted so far, with their data
    for (const [i, caller] of callers) {
      const f = entries[i].f;
      const pattern = f.pattern!;
      if (caller.kind === 'service') {
        // own keys only: `in` also found Object.prototype's (`__proto__`, `constructor`), refused only by the scope check
        if (!Object.hasOwn(ScopeOfPattern, pattern)) {
          refuse(i, RejectReasons.Scope, ErrorCodes.Forbidden, `${pattern}: an internal pattern; service keys may not send it`);
          continue;
        }
        const scope = ScopeOfPattern[pattern];
        if (scope && !caller.scopes.includes(scope)) {
          refuse(i, RejectReasons.Scope, ErrorCodes.Forbidden, `${pattern}: needs the "${scope}" scope, which this key does not have`);
          continue;
        }
      }
      if (!this.getHandlerByPattern(pattern)) {
        refuse(i, RejectReasons.UnknownPattern, ErrorCodes.UnknownPattern, `no handler for pattern ${pattern}`);
        continue;
      }
      const data = early.has(i) ? early.get(i) : dataOf(f);
      if (data === NOT_JSON) {
        refuse(i, RejectReasons.InvalidJson, ErrorCodes.ValidationFailed, 'data: must be JSON');
        continue;
      }
      parsed.set(i, data);
      const accountId = (data as { accountId?: unknown } | null)?.accountId;
      // a non-UUID accountId matches no account: the handler's validation names it
      if (caller.kind === 'service' && typeof accountId === 'string' && isUuid(accountId))
        bound.push({ i, accountId: accountId.toLowerCase() });
    }

    // 5. every accountId a member service names must be in its key's org
    if (bound.length > 0) {
      let orgs: Map<string, string> | null = null;
      try {
        orgs = this.directory ? await this.directory.accountOrgs(bound.map((b) => b.accountId)) : new Map();
      } catch (err) {
        this.logger.error(`looking up accounts' orgs failed: ${(err as Error | undefined)?.message}`);
      }
      for (const { i, accountId } of bound) {
        const caller = callers.get(i) as Extract<BusCaller, { kind: 'service' }>;
        if (!orgs) {
          parsed.delete(i);
          refuse(i, RejectReasons.Unavailable, ErrorCodes.Unavailable, 'the account cannot be checked right now; retry');
        } else if (orgs.get(accountId) !== caller.orgId) {
          parsed.delete(i);
          // indistinguishable from an unknown account
          const { entryId, f } = entries[i];
          const authorize = f.pattern === Patterns.AccountsAuthorize;
          const refusal = { entryId, pattern: f.pattern, reason: RejectReasons.Org, code: authorize ? 'ok' : ErrorCodes.NotFound };
          gates[i] = authorize
            ? {
                ...refusal,
                outcome: this.reply(
                  { id: f.id!, replyTo: f.replyTo, secret: secrets.get(i) },
                  { ok: true, data: { allowed: false, reason: 'unknown_account', enforcement: null } },
                ),
              }
            : {
                ...refusal,
                outcome: this.reply(
                  { id: f.id!, replyTo: f.replyTo, secret: secrets.get(i) },
                  { ok: false, error: { code: ErrorCodes.NotFound, message: 'account not found' } },
                ),
              };
        }
      }
    }

    for (const [i, data] of parsed) {
      const { entryId, f } = entries[i];
      gates[i] = {
        entryId,
        id: f.id!,
        pattern: f.pattern!,
        replyTo: f.replyTo,
        deadline: Number(f.deadline),
        caller: callers.get(i)!,
        secret: secrets.get(i)!,
        data,
        traceparent: f.traceparent,
        stream,
        prefetched: prefetched.get(i),
      };
    }
    return gates;
  }

  /** Never throws: every outcome is a reply (when there is a replyTo) or nothing. */
  private async run(g: Admitted): Promise<Outcome | null> {
    if (g.deadline < Date.now()) {
      this.metrics?.served(g.pattern, 'dropped');
      return null; // waited past its deadline: the caller is gone
    }
    const started = performance.now();
    // a child of the caller's span (its traceparent was signed with the entry); only the pattern and the caller's kind are named
    const span = Tracing.enabled
      ? startSpan(
          this.serviceName,
          g.pattern,
          SpanKind.SERVER,
          { [SpanAttributes.Pattern]: g.pattern, [SpanAttributes.Caller]: g.caller.kind },
          parentContext(g.traceparent),
        )
      : undefined;
    try {
      const handler = this.getHandlerByPattern(g.pattern)!;
      const ctx = new RedisStreamsContext([g.stream, g.entryId, g.pattern, g.id, this.consumer, g.caller, g.prefetched]);
      const work = () => lastValueFrom(this.transformToObservable(handler(g.data, ctx)), { defaultValue: null });
      const value: unknown = await this.beforeDeadline(span ? withSpan(span, work) : work(), g.deadline);
      this.metrics?.served(g.pattern, 'ok', (performance.now() - started) / 1000);
      if (span) endSpan(span, 'ok');
      return this.reply(g, { ok: true, data: value ?? null });
    } catch (err) {
      const error = toWireError(err);
      this.metrics?.served(g.pattern, error.code, (performance.now() - started) / 1000);
      if (span) endSpan(span, error.code);
      return this.reply(g, { ok: false, error });
    }
  }

  /** The caller stops waiting at the deadline; a stuck handler must not hold the batch past it. */
  private beforeDeadline<T>(work: Promise<T>, deadline: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new AppError(ErrorCodes.Timeout, 'the handler did not finish before the deadline')),
        Math.max(0, deadline - Date.now()),
      );
    });
    return Promise.race([work, expired]).finally(() => clearTimeout(timer));
  }
}

const NOT_JSON = Symbol('not JSON');

/** An entry's data parsed (once per entry: the gate's prefetch step and its payload step share it), or NOT_JSON. */
function dataOf(f: EntryFields): unknown {
  try {
    return JSON.parse(f.data?.toString('utf8') ?? '');
  } catch {
    return NOT_JSON;
  }
}

/** Reads queued on a pipeline, each answered on its own when the pipeline's replies arrive. */
function pipelineReads(p: ReturnType<Redis['pipeline']>): PrefetchReads {
  return {
    hmget: (key, ...fields) =>
      new Promise((resolve, reject) => void p.hmget(key, ...fields, (err, values) => (err ? reject(err) : resolve(values ?? [])))),
  };
}
