import { createHash, randomUUID } from 'node:crypto';
import type { RedisOptions } from 'ioredis';
import { ErrorCodes, isWireError } from '../../contracts/src/errors';
import type {
  AccountRequest,
  AuthorizeReply,
  AuthorizeRequest,
  CreateDeviceRequest,
  CreateEnrollmentLinkRequest,
  CreateSmsDeviceReply,
  CreateTotpDeviceReply,
  DeactivateDeviceRequest,
  DeviceRequest,
  DiagnoseReply,
  DiagnoseRequest,
  EnableDeviceRequest,
  EnrollmentLinkReply,
  IssueSessionReply,
  IssueSessionRequest,
  JwksReply,
  RecoveryCodesReply,
  RecoveryCodesRequest,
  ResyncDeviceRequest,
  RevokeSessionsReply,
  RevokeSessionsRequest,
  SmsSentReply,
  VerifyReply,
  VerifyRequest,
} from '../../contracts/src/patterns';
import type { Device, Member } from '../../contracts/src/models';
import { MfaError } from './errors';
import { clusterAuthFromEnv, clusterCommandOptions, clusterUrl, createRedis, type RedisConnection } from './redis-target';
import { DEFAULT_TIMEOUT_MS, MAX_DEADLINE_AHEAD_MS, readReplies, replyPrefixOf, requestFields, requestStream } from './wire';
import type { WireReply } from './wire';

export interface MfaClientOptions {
  /** the service key an org admin made (`POST /v1/orgs/:orgId/service-keys`) */
  keyId: string;
  secret: string;
  /** default `REDIS_URL`, else `redis://127.0.0.1:6379/5` (the platform's default database) */
  redisUrl?: string;
  /**
   * The platform runs on a Redis Cluster: its nodes, `host:port,host:port,...` (any of them will
   * do; the rest are discovered). Default `REDIS_CLUSTER_NODES`. Not together with `redisUrl`.
   */
  clusterNodes?: string;
  /**
   * extra ioredis options, e.g. `{ username, password }` for a Redis ACL user (each node's, on a
   * cluster; there REDIS_CLUSTER_USERNAME, REDIS_CLUSTER_PASSWORD and REDIS_CLUSTER_TLS=true of the
   * environment are the default)
   */
  redisOptions?: RedisOptions;
  /** how long a call waits for its reply, retries included (default 5000, at most 300000) */
  timeoutMs?: number;
  /** how often an `unavailable` answer is retried, with exponential backoff (default 3) */
  retries?: number;
  /** first backoff in ms, doubled per retry, with jitter (default 100) */
  retryBaseMs?: number;
  /** called before each retry of an `unavailable` answer (for logs and metrics) */
  onRetry?: (err: MfaError, attempt: number) => void;
  /** the services' BUS_PARTITIONS (default `BUS_PARTITIONS` or 1): > 1 spreads entries by account id */
  partitions?: number;
  /**
   * The W3C traceparent of the caller's current span, asked for on every call (docs/client.md,
   * "Traces"). Sent signed with the entry, so the platform's spans join the caller's trace; an
   * invalid value is not sent.
   */
  traceparent?: () => string | undefined;
}

/** Options of one call. */
export interface CallOptions {
  timeoutMs?: number;
  /** this call's traceparent (instead of `MfaClientOptions.traceparent`) */
  traceparent?: string;
}

interface Waiter {
  resolve: (data: unknown) => void;
  reject: (err: MfaError) => void;
}

function ownerOf(pattern: string): 'mfa' | 'accounts' | undefined {
  const head = pattern.split('.', 1)[0];
  return head === 'mfa' || head === 'accounts' ? head : undefined;
}

/**
 * Which partition an account's entries go to: the same one every time, spread evenly. The id is
 * lowercased first: a uuid in any spelling is one account, and every sender (this client, the
 * services' BusClient) must put it on the same partition.
 */
export function partitionOf(accountId: string | undefined, partitions: number): number {
  if (!accountId) return Math.floor(Math.random() * partitions);
  return createHash('sha256').update(accountId.toLowerCase()).digest().readUInt32BE(0) % partitions;
}

/** The Redis or cluster a client talks to: its options first, then REDIS_URL / REDIS_CLUSTER_NODES. */
function redisTargetOf(options: Pick<MfaClientOptions, 'redisUrl' | 'clusterNodes'>): string {
  const bad = (message: string) => new MfaError(ErrorCodes.ValidationFailed, message);
  if (options.redisUrl && options.clusterNodes) throw bad('redisUrl and clusterNodes: give one, not both');
  if (options.redisUrl) return options.redisUrl;
  const nodes =
    options.clusterNodes ?? (options.redisUrl === undefined && !process.env.REDIS_URL ? process.env.REDIS_CLUSTER_NODES : undefined);
  if (nodes) {
    try {
      // REDIS_CLUSTER_USERNAME / _PASSWORD / _TLS of the environment; redisOptions' own login wins
      return clusterUrl(nodes, clusterAuthFromEnv());
    } catch (err) {
      throw bad((err as Error).message);
    }
  }
  return process.env.REDIS_URL || 'redis://127.0.0.1:6379/5';
}

/**
 * The member-service client of the MFA platform's bus. Signs every entry with a service key;
 * one reply list per client (`bus:reply:<keyId>:<uuid>`) carries the replies of every request
 * in flight, read by one blocking connection and matched by id. Replies not signed with the
 * key's secret are ignored (only the refusals a server makes before knowing the key come
 * unsigned). `close()` ends it cleanly: calls in flight fail with `unavailable`.
 */
export class MfaClient {
  readonly replyList: string;
  private readonly cmd: RedisConnection;
  private readonly blocking: RedisConnection;
  private readonly poller: Promise<void>;
  private readonly waiting = new Map<string, Waiter>();
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly retryBaseMs: number;
  private readonly partitions: number;
  private closed = false;
  private stop!: () => void;
  private readonly stopped = new Promise<void>((resolve) => (this.stop = resolve));

  constructor(private readonly options: MfaClientOptions) {
    if (!options?.keyId || !options.secret) throw new MfaError(ErrorCodes.ValidationFailed, 'keyId and secret: required (a service key)');
    const partitions = options.partitions ?? Number(process.env.BUS_PARTITIONS ?? 1);
    if (!Number.isInteger(partitions) || partitions < 1)
      throw new MfaError(ErrorCodes.ValidationFailed, 'partitions: must be an integer >= 1');
    this.partitions = partitions;
    this.timeoutMs = Math.min(options.timeoutMs ?? DEFAULT_TIMEOUT_MS, MAX_DEADLINE_AHEAD_MS);
    this.retries = options.retries ?? 3;
    this.retryBaseMs = options.retryBaseMs ?? 100;
    this.replyList = `${replyPrefixOf(options.keyId)}${randomUUID()}`;
    const url = redisTargetOf(options);
    // RESP2: the reply shapes below; the blocking connection waits through reconnects
    this.cmd = createRedis(url, { protocol: 2, maxRetriesPerRequest: 2, ...clusterCommandOptions(url), ...options.redisOptions });
    this.blocking = createRedis(url, { protocol: 2, maxRetriesPerRequest: null, ...options.redisOptions });
    this.cmd.on('error', () => undefined); // surfaced as `unavailable` on the calls that need it
    this.blocking.on('error', () => undefined);
    this.poller = this.poll();
  }

  readonly devices = {
    create: (req: CreateDeviceRequest, o?: CallOptions) =>
      this.call<CreateTotpDeviceReply | CreateSmsDeviceReply>('mfa.devices.create', req, o),
    enable: (req: EnableDeviceRequest, o?: CallOptions) => this.call<Device>('mfa.devices.enable', req, o),
    resync: (req: ResyncDeviceRequest, o?: CallOptions) => this.call<Device>('mfa.devices.resync', req, o),
    list: (req: AccountRequest, o?: CallOptions) => this.call<{ items: Device[] }>('mfa.devices.list', req, o),
    deactivate: (req: DeactivateDeviceRequest, o?: CallOptions) => this.call<Device>('mfa.devices.deactivate', req, o),
    /** which troubleshooting tip applies to a rejected code; a wrong code counts toward the lockout */
    diagnose: (req: DiagnoseRequest, o?: CallOptions) => this.call<DiagnoseReply>('mfa.devices.diagnose', req, o),
  };

  readonly enrollmentLinks = {
    /** a one-time link (15 min) to the hosted enrollment page, for a member who must enroll */
    create: (req: CreateEnrollmentLinkRequest, o?: CallOptions) => this.call<EnrollmentLinkReply>('mfa.enrollment.links.create', req, o),
  };

  readonly sms = {
    send: (req: DeviceRequest, o?: CallOptions) => this.call<SmsSentReply>('mfa.sms.send', req, o),
  };

  readonly recoveryCodes = {
    generate: (req: RecoveryCodesRequest, o?: CallOptions) => this.call<RecoveryCodesReply>('mfa.recovery-codes.generate', req, o),
  };

  readonly sessions = {
    issue: (req: IssueSessionRequest, o?: CallOptions) => this.call<IssueSessionReply>('mfa.sessions.issue', req, o),
    revoke: (req: RevokeSessionsRequest, o?: CallOptions) => this.call<RevokeSessionsReply>('mfa.sessions.revoke', req, o),
    jwks: (o?: CallOptions) => this.call<JwksReply>('mfa.sessions.jwks', {}, o),
  };

  readonly accounts = {
    get: (req: AccountRequest, o?: CallOptions) => this.call<Member>('accounts.get', req, o),
    authorize: (req: AuthorizeRequest, o?: CallOptions) => this.call<AuthorizeReply>('accounts.authorize', req, o),
  };

  verify(req: VerifyRequest, o?: CallOptions): Promise<VerifyReply> {
    return this.call<VerifyReply>('mfa.verify', req, o);
  }

  /**
   * Any member-facing pattern, for those this version has no method for. Retries `unavailable`
   * (each attempt a new entry id: the services refuse a replayed one) until the deadline.
   */
  async call<T>(pattern: string, data: object, o: CallOptions = {}): Promise<T> {
    const timeoutMs = Math.min(o.timeoutMs ?? this.timeoutMs, MAX_DEADLINE_AHEAD_MS);
    const deadline = Date.now() + timeoutMs;
    const traceparent = o.traceparent ?? this.options.traceparent?.();
    for (let attempt = 0; ; attempt++) {
      try {
        return (await this.once(pattern, data, deadline, traceparent)) as T;
      } catch (err) {
        const backoff = this.retryBaseMs * 2 ** attempt * (0.5 + Math.random() / 2);
        if (
          !(err instanceof MfaError) ||
          err.code !== ErrorCodes.Unavailable ||
          this.closed ||
          attempt >= this.retries ||
          Date.now() + backoff >= deadline
        )
          throw err;
        this.options.onRetry?.(err, attempt + 1);
        await new Promise((r) => setTimeout(r, backoff));
      }
    }
  }

  /** Stops reading replies, fails calls in flight with `unavailable`, deletes the reply list. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const [id, w] of this.waiting) {
      this.waiting.delete(id);
      w.reject(new MfaError(ErrorCodes.Unavailable, 'the client was closed'));
    }
    this.blocking.disconnect(); // ends the BLPOP at once
    this.stop(); // and if it does not (a cluster still connecting), the poller leaves it
    await this.poller;
    // DEL and QUIT wait through every reconnect while Redis is unreachable or our ACL user was
    // revoked: bounded to a second, then the connection is dropped (the reply list expires by itself)
    const tidy = (async () => {
      await this.cmd.del(this.replyList);
      await this.cmd.quit();
    })().catch(() => undefined);
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([tidy, new Promise((r) => (timer = setTimeout(r, 1000)))]);
    clearTimeout(timer);
    this.cmd.disconnect();
  }

  private once(pattern: string, data: object, deadline: number, traceparent?: string): Promise<unknown> {
    const owner = ownerOf(pattern);
    if (!owner) return Promise.reject(new MfaError(ErrorCodes.UnknownPattern, `no service owns pattern ${pattern}`));
    if (this.closed) return Promise.reject(new MfaError(ErrorCodes.Unavailable, 'the client was closed'));
    const id = randomUUID();
    const accountId =
      typeof (data as { accountId?: unknown }).accountId === 'string' ? (data as { accountId: string }).accountId : undefined;
    const stream = this.partitions > 1 ? requestStream(owner, partitionOf(accountId, this.partitions)) : requestStream(owner);
    const fields = requestFields(this.options, id, pattern, data, this.replyList, deadline, traceparent);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => {
          this.waiting.delete(id); // a late reply finds no waiter and is ignored
          reject(new MfaError(ErrorCodes.Timeout, `no reply to ${pattern} before the deadline`));
        },
        Math.max(0, deadline - Date.now()),
      );
      const settle =
        <A>(fn: (a: A) => void) =>
        (a: A) => {
          clearTimeout(timer);
          this.waiting.delete(id);
          fn(a);
        };
      this.waiting.set(id, { resolve: settle(resolve), reject: settle(reject) });
      this.cmd.xadd(stream, '*', ...fields).catch((err: Error) => {
        this.waiting.get(id)?.reject(new MfaError(ErrorCodes.Unavailable, `sending to the bus failed: ${err.message}`));
      });
    });
  }

  /** The wire code's reply loop (shared with the platform's BusClient). */
  private poll(): Promise<void> {
    return readReplies({
      connection: this.blocking,
      list: this.replyList,
      secret: this.options.secret,
      running: () => !this.closed,
      stopped: this.stopped,
      waiting: (id) => this.waiting.has(id),
      deliver: (reply) => this.settle(reply),
    });
  }

  private settle(reply: WireReply & { id: string }): void {
    const w = this.waiting.get(reply.id);
    if (!w) return;
    if (reply.ok) return w.resolve(reply.data);
    const e = isWireError(reply.error) ? reply.error : { code: ErrorCodes.Internal, message: 'malformed error reply' };
    w.reject(new MfaError(e.code, e.message, e.details, e.errorId));
  }
}
