import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { openRedis } from '@mfa/bus';
import { MfaServiceEnv } from '../config/mfa-service.env';
import { accountKeys, CACHE_PG_FAILURES, CACHE_TTL_MS } from '../devices/active-device-cache';

/**
 * The hot, shared state of verification in Redis: per account one hash holding the failures in a
 * row, the lockout end (ms), the attempts in flight (`r:<id>`) and, per device, the last accepted
 * TOTP step (`s:<deviceId>`). Each change is one Lua script, so it is atomic across instances, and
 * the commands of one tick go out in one pipeline (auto-pipelining): the verify path costs two
 * Redis scripts (reserve an attempt, then settle it), not a Postgres write. Postgres keeps the
 * durable floor (devices.last_step, written behind; every failed code and every lockout, written
 * as they happen), which the caller reads first, so a Redis that lost or had its data edited
 * neither reopens a lockout, nor forgets failures. The step floor the caller reads is the device
 * cache's, as of its fill (up to CACHE_TTL_MS old): so every script that accepts or burns a step
 * writes it to the device cache's hash too (the same `s:<deviceId>` field), and every compare
 * reads the latest of the two hashes and that floor. Losing either hash alone replays nothing;
 * losing both falls back to Postgres' floor, written behind within WRITE_BEHIND_MS (docs/security.md).
 *
 * The time is the caller's clock (tests move it), never Redis' TIME.
 */
const keyOf = (accountId: string) => accountKeys(accountId).verify;
/** Both keys of the account (one hash tag): the scripts that settle also keep the device cache's "Postgres holds failures" mark. */
const bothKeys = (accountId: string) => {
  const k = accountKeys(accountId);
  return [k.verify, k.devices] as const;
};
const LOCKED = 'locked_until';
const FAILS = 'fails';
const stepField = (deviceId: string) => `s:${deviceId}`;
/** an attempt in flight: `r:<id>` -> the end of its lease (ms) */
const RESERVED = 'r:';
const reservationField = (id: string) => RESERVED + id;

// A value of the live hash that is not a number (written by hand in Redis), or not a finite one
// within the range of a time in ms, reads as absent, as if deleted (which that writer can do
// anyway; Postgres keeps the floor): a script error would fail every verify of the account
// instead of answering, and an infinite lockout end would make an invalid Date. HINCRBY would fail on it too.
const NUM = `local function num(v, d)
  local n = tonumber(v)
  if n == nil or n ~= n or n > 1e15 or n < -1e15 then return d end
  return n
end`;
const INCR_FAILS = `(function()
  local f = redis.call('HGET', KEYS[1], '${FAILS}')
  if f and not (#f <= 15 and string.match(f, '^%d+$')) then redis.call('HDEL', KEYS[1], '${FAILS}') end
  return redis.call('HINCRBY', KEYS[1], '${FAILS}', 1)
end)()`;

/** An attempt that dies without settling (a crashed instance) stops counting after this. */
export const RESERVATION_LEASE_MS = 120_000;

/** A count of failures is forgotten a day after the account's last code (a lockout lasts its own period). */
const STATE_TTL_MS = 86_400_000;

/**
 * The admission both RESERVE and DECIDE start with (KEYS[1] account; ARGV[1] now, ARGV[2] max):
 * a lockout in force refuses `{refused, locked until}`; an ended one is cleared with its count;
 * expired reservations are dropped; failures + attempts in flight at the max refuse `{refused, 0}`.
 */
const admit = (refused: number) => `local now = tonumber(ARGV[1])
local locked = num(redis.call('HGET', KEYS[1], '${LOCKED}'), 0)
if locked > now then return {${refused}, locked} end
if locked > 0 then redis.call('HDEL', KEYS[1], '${LOCKED}', '${FAILS}') end
local inflight = 0
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if string.sub(all[i], 1, ${RESERVED.length}) == '${RESERVED}' then
    if num(all[i + 1], 0) <= now then redis.call('HDEL', KEYS[1], all[i]) else inflight = inflight + 1 end
  end
end
if num(redis.call('HGET', KEYS[1], '${FAILS}'), 0) + inflight >= tonumber(ARGV[2]) then return {${refused}, 0} end`;

// The last step accepted for a device (field s:<deviceId>): the latest of the live hash's (KEYS[1]),
// the device cache's (KEYS[2]) and the caller's floor (its cached last_step, '' for none). Each hash
// alone can be lost (evicted, deleted, a failover) while the other stays.
const LAST_STEP = `local function lastStep(field, floor)
  return math.max(num(redis.call('HGET', KEYS[1], field), -1), num(redis.call('HGET', KEYS[2], field), -1), num(floor, -1))
end`;

// An accepted or burned step goes to both hashes. The device cache's keeps it across a BUMP or a
// FILL (neither touches s: fields); created by this write (the field is then new), it expires like
// an entry (a later read misses, reloads from Postgres, where the step is by then).
const RECORD_STEP = `local function recordStep(field, step)
  redis.call('HSET', KEYS[1], field, step)
  if redis.call('HSET', KEYS[2], field, step) == 1 and redis.call('PTTL', KEYS[2]) < 0 then
    redis.call('PEXPIRE', KEYS[2], ${CACHE_TTL_MS})
  end
end`;

// KEYS[1] account; ARGV now, max, lockout ms, ttl, reservation field, lease ms
// -> {1, 0} reserved; {0, locked until} a lockout is in force; {0, 0} failures + attempts in flight reach the max.
// Attempts are reserved before any slow work (scrypt, SMS lookups), so however many arrive at
// once, at most max - failures of them are ever checked.
const RESERVE = `${NUM}
${admit(0)}
redis.call('HSET', KEYS[1], ARGV[5], now + tonumber(ARGV[6]))
redis.call('PEXPIRE', KEYS[1], math.max(tonumber(ARGV[4]), tonumber(ARGV[3])))
return {1, 0}`;

// A success takes the device cache's mark that Postgres may hold failures (KEYS[2] 'pf'): the caller clears them there.
const TAKE_PG_FAILURES = `
local pf = redis.call('HGET', KEYS[2], '${CACHE_PG_FAILURES}')
if pf then redis.call('HDEL', KEYS[2], '${CACHE_PG_FAILURES}') return 1 end
return 0`;

// A failure is counted in Postgres next: mark it on the device cache (a success then clears it there).
const MARK_PG_FAILURES = `
redis.call('HSET', KEYS[2], '${CACHE_PG_FAILURES}', '1')
if redis.call('PTTL', KEYS[2]) < 0 then redis.call('PEXPIRE', KEYS[2], ${CACHE_TTL_MS}) end`;

// KEYS[1] account, KEYS[2] its device cache; ARGV field, step, now, ttl, reservation field, floor
// -> {1 accepted | 0 replayed (at or before the last) | -1 locked, 1 if Postgres may hold failures}
const ACCEPT_STEP = `${NUM}
${LAST_STEP}
${RECORD_STEP}
if num(redis.call('HGET', KEYS[1], '${LOCKED}'), 0) > tonumber(ARGV[3]) then return {-1, 0} end
if tonumber(ARGV[2]) <= lastStep(ARGV[1], ARGV[6]) then return {0, 0} end
recordStep(ARGV[1], ARGV[2])
redis.call('HDEL', KEYS[1], '${FAILS}', '${LOCKED}', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
local function takePg() ${TAKE_PG_FAILURES} end
return {1, takePg()}`;

// KEYS[1] account, KEYS[2] its device cache; ARGV field, step, ttl -> 1 burned, 0 already at or past it.
// ACCEPT_STEP's compare-and-set alone: a burned step settles no attempt and clears no failure or lockout.
const BURN_STEP = `${NUM}
${LAST_STEP}
${RECORD_STEP}
if tonumber(ARGV[2]) <= lastStep(ARGV[1], '') then return 0 end
recordStep(ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], math.max(tonumber(ARGV[3]), redis.call('PTTL', KEYS[1])))
return 1`;

// KEYS[1] account, KEYS[2] its device cache; ARGV now, max, lockout ms, ttl, reservation field
// -> {failures, locked until (0: none), 1 if this failure started it}
const RECORD_FAILURE = `${NUM}
local now = tonumber(ARGV[1])
redis.call('HDEL', KEYS[1], ARGV[5])
${MARK_PG_FAILURES}
local locked = num(redis.call('HGET', KEYS[1], '${LOCKED}'), 0)
if locked > now then return {num(redis.call('HGET', KEYS[1], '${FAILS}'), 0), locked, 0} end
local n
if locked > 0 then
  redis.call('HDEL', KEYS[1], '${LOCKED}')
  redis.call('HSET', KEYS[1], '${FAILS}', 1)
  n = 1
else
  n = ${INCR_FAILS}
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

// KEYS[1] account, KEYS[2] its device cache; ARGV now, reservation field
// -> {1 reset | 0 a lockout is in force (it runs its course), 1 if Postgres may hold failures}
const RESET = `${NUM}
redis.call('HDEL', KEYS[1], ARGV[2])
if num(redis.call('HGET', KEYS[1], '${LOCKED}'), 0) > tonumber(ARGV[1]) then return {0, 0} end
redis.call('HDEL', KEYS[1], '${FAILS}', '${LOCKED}')
local function takePg() ${TAKE_PG_FAILURES} end
return {1, takePg()}`;

// KEYS[1] account, KEYS[2] its device cache; ARGV now, max, lockout ms, ttl, step field ('': no step matched), step,
// floor (the cached last_step, '' for none). The whole verify of a code matched in memory (TOTP), in one script:
// the lockout check, then the step's compare-and-set, or a failure counted (a replayed step and no match alike).
// -> {-1, locked until (0: failures + attempts in flight reach the max)}: refused, not counted;
//    {1, 1 if Postgres may hold failures}: accepted; {0, failures, locked until (0: none), 1 if this failure started it}
const DECIDE = `${NUM}
${LAST_STEP}
${RECORD_STEP}
${admit(-1)}
if ARGV[5] ~= '' and tonumber(ARGV[6]) > lastStep(ARGV[5], ARGV[7]) then
  recordStep(ARGV[5], ARGV[6])
  redis.call('HDEL', KEYS[1], '${FAILS}')
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  local function takePg() ${TAKE_PG_FAILURES} end
  return {1, takePg()}
end
${MARK_PG_FAILURES}
local n = ${INCR_FAILS}
locked = 0
local started = 0
if n >= tonumber(ARGV[2]) then
  locked = now + tonumber(ARGV[3])
  redis.call('HSET', KEYS[1], '${LOCKED}', locked)
  started = 1
end
redis.call('PEXPIRE', KEYS[1], math.max(tonumber(ARGV[4]), tonumber(ARGV[3])))
return {0, n, locked, started}`;

/** A step matched in memory for a device, and the floor it was matched after (the cached last_step; null: none). */
export interface MatchedStep {
  deviceId: string;
  step: number;
  floor: string | null;
}

/** No reservation to settle (callers outside an attempt): no field is named ''. */
const NO_RESERVATION = '';
const fieldOf = (reservationId?: string) => (reservationId ? reservationField(reservationId) : NO_RESERVATION);

export type StepOutcome = 'accepted' | 'replayed' | 'locked';

export interface StepResult {
  outcome: StepOutcome;
  /** accepted, and Postgres may hold failures of the account: the caller clears them there */
  pgFailures: boolean;
}

export interface FailureOutcome {
  failures: number;
  lockedUntil: Date | null;
  /** this failure is the one that started the lockout (exactly one per lockout) */
  lockoutStarted: boolean;
}

export type ReserveOutcome = { reserved: true } | { reserved: false; lockedUntil: Date | null };

/** What `decide` did: refused (a lockout, or too many attempts in flight), accepted the step, or counted a failure. */
export type Decision =
  { verdict: 'locked'; lockedUntil: Date | null } | { verdict: 'accepted'; pgFailures: boolean } | ({ verdict: 'failed' } & FailureOutcome);

interface VerifyStateCommands {
  mfaReserve(
    key: string,
    now: number,
    max: number,
    lockoutMs: number,
    ttl: number,
    field: string,
    leaseMs: number,
  ): Promise<[number, number]>;
  mfaAcceptStep(
    key: string,
    cache: string,
    field: string,
    step: number,
    now: number,
    ttl: number,
    reservation: string,
    floor: string,
  ): Promise<[number, number]>;
  mfaRecordFailure(
    key: string,
    cache: string,
    now: number,
    max: number,
    lockoutMs: number,
    ttl: number,
    reservation: string,
  ): Promise<[number, number, number]>;
  mfaReset(key: string, cache: string, now: number, reservation: string): Promise<[number, number]>;
  mfaBurnStep(key: string, cache: string, field: string, step: number, ttl: number): Promise<number>;
  mfaDecide(
    key: string,
    cache: string,
    now: number,
    max: number,
    lockoutMs: number,
    ttl: number,
    field: string,
    step: number,
    floor: string,
  ): Promise<number[]>;
}

@Injectable()
export class VerifyState implements OnModuleDestroy {
  private readonly logger = new Logger(VerifyState.name);
  private readonly redis: Redis & VerifyStateCommands;

  constructor(@Inject(MfaServiceEnv) private readonly env: MfaServiceEnv) {
    // the commands of one tick go out as one pipeline; a request fails fast rather than queue
    const redis = openRedis(env.REDIS_URL, 'mfa-service:verify-state', false, this.logger, {
      enableAutoPipelining: true,
      maxRetriesPerRequest: 2,
    });
    redis.defineCommand('mfaReserve', { numberOfKeys: 1, lua: RESERVE });
    redis.defineCommand('mfaAcceptStep', { numberOfKeys: 2, lua: ACCEPT_STEP });
    redis.defineCommand('mfaRecordFailure', { numberOfKeys: 2, lua: RECORD_FAILURE });
    redis.defineCommand('mfaReset', { numberOfKeys: 2, lua: RESET });
    redis.defineCommand('mfaBurnStep', { numberOfKeys: 2, lua: BURN_STEP });
    redis.defineCommand('mfaDecide', { numberOfKeys: 2, lua: DECIDE });
    this.redis = redis as Redis & VerifyStateCommands;
  }

  /**
   * The whole verify of a code matched in memory, in one script (no reservation: nothing slow runs
   * between the lockout check and the verdict): refused while a lockout is in force or failures +
   * attempts in flight (other code paths') reach MFA_MAX_FAILURES; otherwise `matched` (the
   * device's step) is accepted if after the last one (live, cached, or `matched.floor`), or a failure
   * is counted (no match, a replay).
   */
  async decide(accountId: string, now: Date, matched: MatchedStep | null): Promise<Decision> {
    const lockoutMs = this.env.MFA_LOCKOUT_SECONDS * 1000;
    const r = await this.redis.mfaDecide(
      ...bothKeys(accountId),
      now.getTime(),
      this.env.MFA_MAX_FAILURES,
      lockoutMs,
      STATE_TTL_MS,
      matched ? stepField(matched.deviceId) : '',
      matched?.step ?? 0,
      matched?.floor ?? '',
    );
    if (r[0] === -1) return { verdict: 'locked', lockedUntil: r[1] > 0 ? new Date(r[1]) : null };
    if (r[0] === 1) return { verdict: 'accepted', pgFailures: r[1] === 1 };
    return { verdict: 'failed', failures: r[1], lockedUntil: r[2] > 0 ? new Date(r[2]) : null, lockoutStarted: r[3] === 1 };
  }

  /**
   * Accepts the matched step if it is after the last one accepted (live, cached, or the floor it was
   * matched after) and no lockout is in force; success clears the failure count.
   */
  async acceptStep(accountId: string, matched: MatchedStep, now: Date, reservationId?: string): Promise<StepResult> {
    const [r, pf] = await this.redis.mfaAcceptStep(
      ...bothKeys(accountId),
      stepField(matched.deviceId),
      matched.step,
      now.getTime(),
      STATE_TTL_MS,
      fieldOf(reservationId),
      matched.floor ?? '',
    );
    return { outcome: r === 1 ? 'accepted' : r === 0 ? 'replayed' : 'locked', pgFailures: pf === 1 };
  }

  /**
   * Marks `step` used for the device as an accepted code would (never moving it back), without
   * settling an attempt or touching the failure count: a code diagnosed at a future step
   * (DiagnoseService) can then never be accepted, nor can a resync's pair. true: the step moved forward.
   */
  async burnStep(accountId: string, deviceId: string, step: number): Promise<boolean> {
    return (await this.redis.mfaBurnStep(...bothKeys(accountId), stepField(deviceId), step, STATE_TTL_MS)) === 1;
  }

  /**
   * Reserves one attempt before the code is checked: refused while a lockout is in force or while
   * failures + attempts in flight reach MFA_MAX_FAILURES. Settle it with acceptStep, recordFailure,
   * reset or release.
   */
  async reserve(accountId: string, reservationId: string, now: Date): Promise<ReserveOutcome> {
    const lockoutMs = this.env.MFA_LOCKOUT_SECONDS * 1000;
    const [ok, locked] = await this.redis.mfaReserve(
      keyOf(accountId),
      now.getTime(),
      this.env.MFA_MAX_FAILURES,
      lockoutMs,
      STATE_TTL_MS,
      reservationField(reservationId),
      RESERVATION_LEASE_MS,
    );
    return ok === 1 ? { reserved: true } : { reserved: false, lockedUntil: locked > 0 ? new Date(locked) : null };
  }

  /** An attempt that ended without a verdict on the code (no device, not allowed, an error). */
  async release(accountId: string, reservationId: string): Promise<void> {
    await this.redis.hdel(keyOf(accountId), reservationField(reservationId));
  }

  /** Counts one failed code; a lockout in force is kept as is, an expired one starts a fresh count. */
  async recordFailure(accountId: string, now: Date, reservationId?: string): Promise<FailureOutcome> {
    const lockoutMs = this.env.MFA_LOCKOUT_SECONDS * 1000;
    const [failures, locked, started] = await this.redis.mfaRecordFailure(
      ...bothKeys(accountId),
      now.getTime(),
      this.env.MFA_MAX_FAILURES,
      lockoutMs,
      STATE_TTL_MS,
      fieldOf(reservationId),
    );
    return { failures, lockedUntil: locked > 0 ? new Date(locked) : null, lockoutStarted: started === 1 };
  }

  /**
   * The last TOTP step accepted in Redis for a device (the later of the live hash's and the device
   * cache's; null: none), ahead of Postgres' written-behind floor. A value that is not a number reads as absent, as in the scripts.
   */
  async lastStep(accountId: string, deviceId: string): Promise<number | null> {
    const steps = await Promise.all(bothKeys(accountId).map((key) => this.redis.hget(key, stepField(deviceId))));
    const known = steps
      .filter((v) => v !== null)
      .map(Number)
      .filter((n) => Number.isFinite(n) && Math.abs(n) <= 1e15);
    return known.length ? Math.max(...known) : null;
  }

  async lockedUntil(accountId: string, now: Date): Promise<Date | null> {
    const until = Number(await this.redis.hget(keyOf(accountId), LOCKED));
    return until > now.getTime() ? new Date(until) : null;
  }

  /** Failed codes counted since the last success (0 when none). */
  async failures(accountId: string): Promise<number> {
    return Number(await this.redis.hget(keyOf(accountId), FAILS));
  }

  /** A success clears the count, unless a lockout is in force (it runs its course). true: Postgres may hold failures to clear. */
  async reset(accountId: string, now: Date, reservationId?: string): Promise<boolean> {
    const [, pf] = await this.redis.mfaReset(...bothKeys(accountId), now.getTime(), fieldOf(reservationId));
    return pf === 1;
  }

  /** Attempts reserved and not yet settled (tests). */
  async inFlight(accountId: string, now: Date): Promise<number> {
    const fields = await this.redis.hgetall(keyOf(accountId));
    return Object.entries(fields).filter(([k, v]) => k.startsWith(RESERVED) && Number(v) > now.getTime()).length;
  }

  async onModuleDestroy(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
