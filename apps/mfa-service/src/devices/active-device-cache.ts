import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import DataLoader from 'dataloader';
import type { Redis } from 'ioredis';
import { openRedis, type PrefetchReads } from '@mfa/bus';
import { isUuid, type MfaMethod } from '@mfa/contracts';
import { constantTimeEqual, Envelope, InternalKey } from '@mfa/crypto';
import { coalescingBatches } from '../common/db';
import { ActiveDeviceRepository } from './active-device.repository';
import { KeyMaterial } from '../common/key-material';
import { MfaServiceEnv } from '../config/mfa-service.env';

/** One row per active device (or one all-null row when there is none), with lock and policy. */
export interface VerifyRow {
  /** a lockout stored in Postgres (it may have ended: compare with now) */
  locked_until: Date | null;
  /** failures stored in Postgres (AccountFailureRepository); from the cache: 1 when some may be stored, else 0 */
  stored_failures: number | null;
  id: string | null;
  serial_number: string | null;
  type: MfaMethod | null;
  org_id: string | null;
  secret_enc: string | null;
  drift_steps: number | null;
  last_step: string | null;
  sms_code_hash: Buffer | null;
  sms_code_expires_at: Date | null;
  /** null: the org never pushed a policy, the default allows every method */
  allowed_methods: MfaMethod[] | null;
}

/**
 * The Redis keys of one account. One hash tag, so a Lua script may touch both on a Redis Cluster
 * (docs/mfa.md "Hot path"): `verify` is VerifyState's live hash, `devices` this cache.
 */
export const accountKeys = (accountId: string) => {
  // lower case: an id is a uuid, which Postgres reads in any case; the keys (and the MAC) must not
  // differ with it, or each spelling would be a cache entry and a live count of its own
  const id = accountId.toLowerCase();
  return { verify: `mfa:{a:${id}}:verify`, devices: `mfa:{a:${id}}:devices` };
};

/**
 * Fields of the devices hash: the generation, the MAC'd rows, "Postgres may hold failures". VerifyState
 * also keeps each device's last accepted step there (`s:<deviceId>`), which BUMP and FILL leave alone:
 * a fill from a Postgres the write behind has not reached yet must not lower it.
 */
export const CACHE_GEN = 'g';
const CACHE_DATA = 'd';
export const CACHE_PG_FAILURES = 'pf';

/**
 * How long a filled entry is believed (its end is inside the MAC) and kept: the most a copy of an
 * older entry written back by someone with Redis access could be used (docs/security.md).
 */
export const CACHE_TTL_MS = 600_000;

/**
 * How long an instance believes an org's allowed methods without asking Postgres again. The
 * instance that applies a policy forgets at once; the others follow within this. Bounded this way
 * rather than by dropping the cache entry of every enrolled account of the org: at a million
 * accounts that was a million Redis calls on the policy hand-over's path.
 */
export const ORG_METHODS_TTL_MS = 1_000;

// KEYS[1] devices; ARGV ttl -> the new generation. A change bumps it after its commit: a fill
// that read the old generation (and maybe the old rows) is then refused. A generation that is not
// a small integer (written by hand in Redis) starts over: HINCRBY would fail, leave the old rows
// believed and fail the change's caller (a lockout's start then skipped its revocation).
const BUMP = `
local cur = redis.call('HGET', KEYS[1], '${CACHE_GEN}')
if cur and not (#cur <= 15 and string.match(cur, '^%d+$')) then redis.call('HDEL', KEYS[1], '${CACHE_GEN}') end
local g = redis.call('HINCRBY', KEYS[1], '${CACHE_GEN}', 1)
redis.call('HDEL', KEYS[1], '${CACHE_DATA}')
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return g`;

// KEYS[1] devices; ARGV generation read before the load, value, ttl, '1' when Postgres holds failures -> 1 filled, 0 refused
const FILL = `
if (redis.call('HGET', KEYS[1], '${CACHE_GEN}') or '0') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], '${CACHE_DATA}', ARGV[2])
if ARGV[4] == '1' then redis.call('HSET', KEYS[1], '${CACHE_PG_FAILURES}', '1') end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`;

/** The fields rows() reads: the MAC'd rows, the generation, "Postgres may hold failures". */
type EntryFields = [data: string | null, gen: string | null, pf: string | null];

/**
 * An account's entry read started by the bus gate before the request's replay check (BUS_PREFETCH,
 * docs/mfa.md "Hot path"); rows() takes it for the same account instead of reading again.
 */
export class PrefetchedRead {
  constructor(
    readonly accountId: string,
    readonly fields: Promise<EntryFields>,
  ) {}
}

interface CacheCommands {
  mfaCacheBump(key: string, ttl: number): Promise<number>;
  mfaCacheFill(key: string, gen: string, value: string, ttl: number, pgFailures: string): Promise<number>;
}

/** A device as stored: [id, serial, type, org, seed envelope, drift, last step, sms hash b64, sms expiry ms, allowed methods] */
type CachedDevice = [
  string,
  string,
  MfaMethod,
  string,
  string | null,
  number | null,
  string | null,
  string | null,
  number | null,
  MfaMethod[] | null,
];
interface CachedEntry {
  /** the end of the entry's belief (ms) */
  e: number;
  /** the lockout Postgres held (ms) */
  l: number | null;
  d: CachedDevice[];
}

const toCached = (rows: VerifyRow[], end: number): CachedEntry => ({
  e: end,
  l: rows[0]?.locked_until?.getTime() ?? null,
  d: rows
    .filter((r) => r.id !== null)
    .map((r) => [
      r.id!,
      r.serial_number!,
      r.type!,
      r.org_id!,
      r.secret_enc,
      r.drift_steps,
      r.last_step === null ? null : String(r.last_step),
      r.sms_code_hash?.toString('base64') ?? null,
      r.sms_code_expires_at?.getTime() ?? null,
      r.allowed_methods,
    ]),
});

function fromCached(c: CachedEntry, pgFailures: boolean): VerifyRow[] {
  const lock = { locked_until: c.l === null ? null : new Date(c.l), stored_failures: pgFailures ? 1 : 0 };
  if (c.d.length === 0) return [noDeviceRow(lock.locked_until, lock.stored_failures)];
  return c.d.map(([id, serial_number, type, org_id, secret_enc, drift_steps, last_step, sms, smsEnd, allowed_methods]) => ({
    ...lock,
    id,
    serial_number,
    type,
    org_id,
    secret_enc,
    drift_steps,
    last_step,
    sms_code_hash: sms === null ? null : Buffer.from(sms, 'base64'),
    sms_code_expires_at: smsEnd === null ? null : new Date(smsEnd),
    allowed_methods,
  }));
}

/**
 * The verify read (an account's active devices with their org's allowed methods, and the lockout
 * Postgres holds) kept in Redis, one hash per account, so every instance reads it in one round
 * trip (docs/mfa.md "Hot path"). Postgres stays the truth: a miss loads from it (the loads of one
 * tick as one prepared statement) and fills. Every change bumps the entry's generation after its
 * commit and drops the rows (`changed` then loads and fills again, write-through); a fill is stored
 * only if the generation is still the one read before the load, so a reader that loaded before a
 * change cannot put the older rows back. Seeds stay sealed (the envelopes of the table); each
 * entry carries a MAC under a key derived from BUS_INTERNAL_KEY, so a Redis writer cannot plant a
 * device, a drift or a step floor, and an end inside the MAC, so an old entry copied back is not
 * believed past CACHE_TTL_MS.
 */
@Injectable()
export class ActiveDeviceCache implements OnModuleDestroy {
  private readonly logger = new Logger(ActiveDeviceCache.name);
  private readonly redis: Redis & CacheCommands;
  private readonly orgMethods = new Map<string, { until: number; methods: Promise<MfaMethod[] | null> }>();
  private readonly loads = coalescingBatches(2);
  private readonly loader = new DataLoader<string, VerifyRow[]>(
    this.loads.track((ids: readonly string[]) => this.loadRows(ids)),
    { cache: false, maxBatchSize: 1000, batchScheduleFn: this.loads.schedule },
  );

  constructor(
    @Inject(MfaServiceEnv) env: MfaServiceEnv,
    private readonly repository: ActiveDeviceRepository,
    private readonly internalKey: InternalKey,
    private readonly keys: KeyMaterial,
  ) {
    // the reads of one tick go out as one pipeline
    const redis = openRedis(env.REDIS_URL, 'mfa-service:device-cache', false, this.logger, {
      enableAutoPipelining: true,
      maxRetriesPerRequest: 2,
    });
    redis.defineCommand('mfaCacheBump', { numberOfKeys: 1, lua: BUMP });
    redis.defineCommand('mfaCacheFill', { numberOfKeys: 1, lua: FILL });
    this.redis = redis as Redis & CacheCommands;
  }

  /**
   * The account's active devices (all, or the one with `serialNumber`) and its stored lockout;
   * `prefetched`: the entry as the bus gate began reading it (taken only for this account).
   */
  async rows(accountId: string, serialNumber: string | null, now: Date, prefetched?: unknown): Promise<VerifyRow[]> {
    const [data, gen, pf] = await (prefetched instanceof PrefetchedRead && prefetched.accountId === accountId.toLowerCase()
      ? prefetched.fields
      : this.read(accountId));
    let rows = data === null ? null : this.open(accountId, data, pf !== null, now);
    if (rows === null) {
      rows = await this.loader.load(accountId);
      await this.fill(accountId, gen ?? '0', rows, now);
    } else {
      rows = await this.withOrgMethods(rows);
    }
    return serialNumber === null ? rows : onlySerial(rows, serialNumber);
  }

  /**
   * The bus gate's Prefetcher for mfa.verify: the HMGET of `data.accountId`'s entry (a pure read),
   * on the gate's connection in the write of its replay marks. Nothing for data without a UUID accountId.
   */
  prefetch(data: unknown, redis: PrefetchReads = this.redis): PrefetchedRead | undefined {
    const accountId = (data as { accountId?: unknown } | null)?.accountId;
    if (typeof accountId !== 'string' || !isUuid(accountId)) return undefined;
    const fields = this.read(accountId, redis);
    fields.catch(() => undefined); // a refused entry's read is never awaited; a taken one rejects in rows()
    return new PrefetchedRead(accountId.toLowerCase(), fields);
  }

  private read(accountId: string, redis: PrefetchReads = this.redis): Promise<EntryFields> {
    return redis.hmget(accountKeys(accountId).devices, CACHE_DATA, CACHE_GEN, CACHE_PG_FAILURES) as Promise<EntryFields>;
  }

  /**
   * After a committed change of the account's devices (enable, deactivate, reset, resync, removal):
   * bump the generation, then load and fill (the next verify finds the new rows on any instance).
   * Called after the commit: bumped before it, a reader could store the old rows under the new generation.
   */
  async changed(accountId: string, now: Date): Promise<void> {
    const gen = await this.invalidate(accountId);
    const [rows] = await this.loadRows([accountId]);
    await this.fill(accountId, String(gen), rows, now);
  }

  /** After a committed change the next read loads (an SMS code sent or used, a lockout stored): answers the new generation. */
  invalidate(accountId: string): Promise<number> {
    return this.redis.mfaCacheBump(accountKeys(accountId).devices, CACHE_TTL_MS);
  }

  /** An org's policy changed (applied on this instance): its allowed methods are read again at the next verify. */
  forgetOrg(orgId: string): void {
    this.orgMethods.delete(orgId);
  }

  /** Cached rows carry their org's allowed methods as of the fill: the current ones replace them. */
  private async withOrgMethods(rows: VerifyRow[]): Promise<VerifyRow[]> {
    const orgId = rows[0]?.org_id;
    if (!orgId) return rows;
    const allowed = await this.allowedMethodsOf(orgId);
    return rows.map((r) => (r.org_id === orgId ? { ...r, allowed_methods: allowed } : r));
  }

  private allowedMethodsOf(orgId: string): Promise<MfaMethod[] | null> {
    const at = performance.now();
    const known = this.orgMethods.get(orgId);
    if (known && known.until > at) return known.methods;
    if (this.orgMethods.size >= 10_000) this.orgMethods.clear(); // bounded: an instance serving more orgs asks more often
    const methods = this.repository.allowedMethods(orgId);
    this.orgMethods.set(orgId, { until: at + ORG_METHODS_TTL_MS, methods });
    methods.catch(() => this.orgMethods.delete(orgId));
    return methods;
  }

  private async fill(accountId: string, gen: string, rows: VerifyRow[], now: Date): Promise<void> {
    const json = JSON.stringify(toCached(rows, now.getTime() + CACHE_TTL_MS));
    const value = `${this.mac(accountId, json)}.${json}`;
    const pgFailures = (rows[0]?.stored_failures ?? 0) > 0 ? '1' : '0';
    await this.redis.mfaCacheFill(accountKeys(accountId).devices, gen, value, CACHE_TTL_MS, pgFailures);
  }

  /** The rows of a stored entry, or null (a miss): no valid MAC, past its end, or a seed under a key no longer in the ring. */
  private open(accountId: string, data: string, pgFailures: boolean, now: Date): VerifyRow[] | null {
    const dot = data.indexOf('.');
    const json = data.slice(dot + 1);
    if (dot < 0 || !constantTimeEqual(data.slice(0, dot), this.mac(accountId, json))) {
      this.logger.warn(`a device cache entry without a valid MAC was refused (account ${accountId})`);
      return null;
    }
    const entry = JSON.parse(json) as CachedEntry;
    if (entry.e <= now.getTime()) return null;
    // a key rotation: an entry filled before re-encryption may hold envelopes of a removed key
    if (entry.d.some((d) => d[4] !== null && !this.keys.envelope.hasKid(Envelope.kidOf(d[4])))) return null;
    return fromCached(entry, pgFailures);
  }

  private mac(accountId: string, json: string): string {
    return this.internalKey.macDeviceCache(`${accountId.toLowerCase()}\n${json}`);
  }

  private async loadRows(accountIds: readonly string[]): Promise<VerifyRow[][]> {
    return this.repository.rowsOf(accountIds);
  }

  async onModuleDestroy(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/** The rows of one serial number (the all-null row, with the lockout, when the account has no such active device). */
function onlySerial(rows: VerifyRow[], serialNumber: string): VerifyRow[] {
  const hit = rows.filter((r) => r.serial_number === serialNumber);
  if (hit.length) return hit;
  return [noDeviceRow(rows[0]?.locked_until ?? null, rows[0]?.stored_failures ?? null)];
}

/** The row of an account without such an active device: only its lockout. */
function noDeviceRow(locked_until: Date | null, stored_failures: number | null): VerifyRow {
  return {
    locked_until,
    stored_failures,
    id: null,
    serial_number: null,
    type: null,
    org_id: null,
    secret_enc: null,
    drift_steps: null,
    last_step: null,
    sms_code_hash: null,
    sms_code_expires_at: null,
    allowed_methods: null,
  };
}
