import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { openRedis } from '@mfa/bus';
import { MfaServiceEnv } from '../config/mfa-service.env';

/**
 * The hot, shared state of verification in Redis: per account one hash holding the failures in a
 * row, the lockout end (ms) and, per device, the last accepted TOTP step (`s:<deviceId>`). Each
 * change is one Lua script, so it is atomic across instances, and the commands of one tick go
 * out in one pipeline (auto-pipelining): the verify path costs one Redis round trip, not a
 * Postgres write. Postgres keeps the durable floor (devices.last_step, written behind, and every
 * lockout, written when it starts), which the caller reads first, so a Redis that lost its data
 * neither reopens a lockout nor lets an already-stored step be replayed.
 *
 * The time is the caller's clock (tests move it), never Redis' TIME.
 */
const KEY_PREFIX = 'mfa:verify:';
const LOCKED = 'locked_until';
const FAILS = 'fails';
const stepField = (deviceId: string) => `s:${deviceId}`;

/** A count of failures is forgotten a day after the account's last code (a lockout lasts its own period). */
const STATE_TTL_MS = 86_400_000;

// KEYS[1] account; ARGV field, step, now, ttl -> 1 accepted, 0 replayed (at or before the last), -1 locked
const ACCEPT_STEP = `
if tonumber(redis.call('HGET', KEYS[1], '${LOCKED}') or '0') > tonumber(ARGV[3]) then return -1 end
if tonumber(ARGV[2]) <= tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '-1') then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HDEL', KEYS[1], '${FAILS}', '${LOCKED}')
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1`;

// KEYS[1] account; ARGV now, max, lockout ms, ttl -> {failures, locked until (0: none), 1 if this failure started it}
const RECORD_FAILURE = `
local now = tonumber(ARGV[1])
local locked = tonumber(redis.call('HGET', KEYS[1], '${LOCKED}') or '0')
if locked > now then return {tonumber(redis.call('HGET', KEYS[1], '${FAILS}') or '0'), locked, 0} end
local n
if locked > 0 then
  redis.call('HDEL', KEYS[1], '${LOCKED}')
  redis.call('HSET', KEYS[1], '${FAILS}', 1)
  n = 1
else
  n = redis.call('HINCRBY', KEYS[1], '${FAILS}', 1)
end
local started = 0
locked = 0
if n >= tonumber(ARGV[2]) then
  locked = now + tonumber(ARGV[3])
  redis.call('HSET', KEYS[1], '${LOCKED}', locked)
  started = 1
end
redis.call('PEXPIRE', KEYS[1], math.max(tonumber(ARGV[4]), tonumber(ARGV[3])))
return {n, locked, started}`;

// KEYS[1] account; ARGV now -> 1 reset, 0 a lockout is in force (it runs its course)
const RESET = `
if tonumber(redis.call('HGET', KEYS[1], '${LOCKED}') or '0') > tonumber(ARGV[1]) then return 0 end
redis.call('HDEL', KEYS[1], '${FAILS}', '${LOCKED}')
return 1`;

export type StepOutcome = 'accepted' | 'replayed' | 'locked';

export interface FailureOutcome {
  failures: number;
  lockedUntil: Date | null;
  /** this failure is the one that started the lockout (exactly one per lockout) */
  lockoutStarted: boolean;
}

interface VerifyStateCommands {
  mfaAcceptStep(key: string, field: string, step: number, now: number, ttl: number): Promise<number>;
  mfaRecordFailure(key: string, now: number, max: number, lockoutMs: number, ttl: number): Promise<[number, number, number]>;
  mfaReset(key: string, now: number): Promise<number>;
}

@Injectable()
export class VerifyState implements OnModuleDestroy {
  private readonly logger = new Logger(VerifyState.name);
  private readonly redis: Redis & VerifyStateCommands;

  constructor(@Inject(MfaServiceEnv) private readonly env: MfaServiceEnv) {
    // the commands of one tick go out as one pipeline; a request fails fast rather than queue
    const redis = openRedis(env.REDIS_URL, 'mfa-service:verify-state', false, this.logger, { enableAutoPipelining: true, maxRetriesPerRequest: 2 });
    redis.defineCommand('mfaAcceptStep', { numberOfKeys: 1, lua: ACCEPT_STEP });
    redis.defineCommand('mfaRecordFailure', { numberOfKeys: 1, lua: RECORD_FAILURE });
    redis.defineCommand('mfaReset', { numberOfKeys: 1, lua: RESET });
    this.redis = redis as Redis & VerifyStateCommands;
  }

  /**
   * Accepts `step` for the device if it is after the last one accepted here and no lockout is in
   * force; success clears the failure count. The caller matched only steps after the one Postgres
   * holds (the durable floor), so a Redis that lost this hash cannot accept a stored step again.
   */
  async acceptStep(accountId: string, deviceId: string, step: number, now: Date): Promise<StepOutcome> {
    const r = await this.redis.mfaAcceptStep(KEY_PREFIX + accountId, stepField(deviceId), step, now.getTime(), STATE_TTL_MS);
    return r === 1 ? 'accepted' : r === 0 ? 'replayed' : 'locked';
  }

  /** After a resync the device's step may move back (a slow clock): the new one replaces the old. */
  async setStep(accountId: string, deviceId: string, step: number): Promise<void> {
    const key = KEY_PREFIX + accountId;
    await this.redis.multi().hset(key, stepField(deviceId), step).pexpire(key, STATE_TTL_MS).exec();
  }

  /** Counts one failed code; a lockout in force is kept as is, an expired one starts a fresh count. */
  async recordFailure(accountId: string, now: Date): Promise<FailureOutcome> {
    const lockoutMs = this.env.MFA_LOCKOUT_SECONDS * 1000;
    const [failures, locked, started] = await this.redis.mfaRecordFailure(KEY_PREFIX + accountId, now.getTime(), this.env.MFA_MAX_FAILURES, lockoutMs, STATE_TTL_MS);
    return { failures, lockedUntil: locked > 0 ? new Date(locked) : null, lockoutStarted: started === 1 };
  }

  async lockedUntil(accountId: string, now: Date): Promise<Date | null> {
    const until = Number(await this.redis.hget(KEY_PREFIX + accountId, LOCKED));
    return until > now.getTime() ? new Date(until) : null;
  }

  /** Failed codes counted since the last success (0 when none). */
  async failures(accountId: string): Promise<number> {
    return Number(await this.redis.hget(KEY_PREFIX + accountId, FAILS));
  }

  /** A success clears the count, unless a lockout is in force (it runs its course). */
  async reset(accountId: string, now: Date): Promise<void> {
    await this.redis.mfaReset(KEY_PREFIX + accountId, now.getTime());
  }

  async onModuleDestroy(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
