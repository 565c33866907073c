/**
 * The pure wire code of the bus (docs/bus-protocol.md): entry fields, request and reply
 * signatures, reply-list names. It lives here, in the published client, so member services and
 * the platform's own services (libs/bus re-exports it) sign with one implementation. Node's
 * crypto only: no Nest, no Redis.
 */
import { createHmac } from 'node:crypto';
import { constantTimeEqual } from '../../crypto/src/constant-time';
import type { ErrorCode, WireError } from '../../contracts/src/errors';

/** Every reply list is `bus:reply:<keyId>:<anything>` (a Redis ACL user per key can own its prefix). */
export const REPLY_LIST_PREFIX = 'bus:reply:';
/** Seconds a reply list lives after the last reply pushed to it (docs/bus-protocol.md). */
export const REPLY_TTL_SECONDS = 60;
export const DEFAULT_TIMEOUT_MS = 5000;
/** A `data` field above this is answered validation_failed without being parsed. */
export const MAX_DATA_BYTES = 64 * 1024;
/** Every other field (id, pattern, replyTo, keyId, sig, deadline) is short; longer is malformed. */
export const MAX_FIELD_BYTES = 512;
/** A deadline further ahead than this is refused: it would make a captured entry replayable for long. */
export const MAX_DEADLINE_AHEAD_MS = 300_000;

/** Who signs an entry: a key id and its secret (never sent). */
export interface BusCredentials {
  keyId: string;
  secret: string;
}

export function replyPrefixOf(keyId: string): string {
  return `${REPLY_LIST_PREFIX}${keyId}:`;
}

/** The request stream of a service: `bus:<svc>:requests`, or partition `n` of it when the bus is partitioned. */
export function requestStream(service: string, partition?: number): string {
  return partition === undefined ? `bus:${service}:requests` : `bus:${service}:requests:${partition}`;
}

export type WireReply = { id: string | null; ok: true; data: unknown } | { id: string | null; ok: false; error: WireError };

/** The fields of one request entry, as strings (absent ones undefined); `data` stays bytes. */
export interface EntryFields {
  id?: string;
  pattern?: string;
  data?: Buffer;
  replyTo?: string;
  deadline?: string;
  keyId?: string;
  sig?: string;
  /** W3C trace context of the caller's span, only when well formed (then it is signed too) */
  traceparent?: string;
  /** a traceparent field was there but not a valid one (any size): ignored, as if absent */
  traceparentInvalid?: true;
  /** a field other than data longer than MAX_FIELD_BYTES */
  overlong?: string;
}

const KNOWN = new Set(['id', 'pattern', 'data', 'replyTo', 'deadline', 'keyId', 'sig', 'traceparent']);

/** The entry field (and job data field, and HTTP header) carrying W3C Trace Context. */
export const TRACEPARENT_FIELD = 'traceparent';
/** `00-` + 32 + `-` + 16 + `-` + 2: the only length a version-00 traceparent has. */
export const TRACEPARENT_LENGTH = 55;
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);

/** A parsed traceparent: the caller's trace and span, used only as the parent of our spans. */
export interface TraceParent {
  traceId: string;
  spanId: string;
  /** bit 0: sampled */
  flags: number;
}

/**
 * W3C Trace Context `traceparent`, strictly: version 00, lowercase hex, trace and span ids not
 * all zeros, exactly 55 characters (nothing after). Anything else (another version, upper case,
 * a huge value, not a string) is null: the caller ignores it, never fails a request over it.
 */
export function parseTraceparent(value: unknown): TraceParent | null {
  if (typeof value !== 'string' || value.length !== TRACEPARENT_LENGTH) return null;
  const m = TRACEPARENT.exec(value);
  if (!m || m[1] === ZERO_TRACE_ID || m[2] === ZERO_SPAN_ID) return null;
  return { traceId: m[1], spanId: m[2], flags: parseInt(m[3], 16) };
}

/**
 * `[k1, v1, k2, v2, ...]` (as Buffers, so a huge field never becomes a string on the heap) to
 * an object; first occurrence wins.
 */
export function fieldsOf(flat: readonly Buffer[] | null | undefined): EntryFields {
  const out: EntryFields = {};
  if (!flat) return out;
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const k = flat[i].length <= 16 ? flat[i].toString('latin1') : '';
    if (!KNOWN.has(k) || k in out || (k === 'traceparent' && out.traceparentInvalid)) continue;
    const v = flat[i + 1];
    if (k === 'data') out.data = v;
    else if (k === 'traceparent') {
      // measured before it is read: a huge one never becomes a string
      const tp = v.length === TRACEPARENT_LENGTH ? v.toString('latin1') : '';
      if (parseTraceparent(tp)) out.traceparent = tp;
      else out.traceparentInvalid = true;
    } else if (v.length > MAX_FIELD_BYTES) out.overlong ??= k;
    else (out as Record<string, string>)[k] = v.toString('utf8');
  }
  return out;
}

/**
 * Lowercase hex HMAC-SHA256 of `id \n pattern \n deadline \n replyTo \n data` (the contract's
 * signature). An entry with a (valid) `traceparent` signs it too, on its own line before `data`:
 * `id \n pattern \n deadline \n replyTo \n traceparent \n data`; without one the message is the
 * one it always was, so entries of older clients verify unchanged.
 */
export function signEntry(
  secret: string,
  id: string,
  pattern: string,
  deadline: string,
  replyTo: string,
  data: string | Buffer,
  traceparent?: string,
): string {
  const head = traceparent
    ? `${id}\n${pattern}\n${deadline}\n${replyTo}\n${traceparent}\n`
    : `${id}\n${pattern}\n${deadline}\n${replyTo}\n`;
  return createHmac('sha256', secret).update(head).update(data).digest('hex');
}

/**
 * The XADD field list of a signed request, in the order docs/bus-protocol.md shows. A
 * `traceparent` is sent (and signed) only when it is a valid one; any other value is left out.
 */
export function requestFields(
  creds: BusCredentials,
  id: string,
  pattern: string,
  data: unknown,
  replyTo: string | null,
  deadline: number,
  traceparent?: string,
): string[] {
  const json = JSON.stringify(data ?? {});
  const dl = String(deadline);
  const tp = traceparent && parseTraceparent(traceparent) ? traceparent : undefined;
  const out = ['id', id, 'pattern', pattern, 'data', json];
  if (replyTo) out.push('replyTo', replyTo);
  if (tp) out.push(TRACEPARENT_FIELD, tp);
  out.push('deadline', dl, 'keyId', creds.keyId, 'sig', signEntry(creds.secret, id, pattern, dl, replyTo ?? '', json, tp));
  return out;
}

const REPLY_SIG = /,"sig":"([0-9a-f]{64})"\}$/;

/**
 * A reply signed with the caller's secret: `sig` = HMAC-SHA256(secret, the reply's JSON without
 * it), appended as the last field, so any language checks it on the raw string: strip
 * `,"sig":"<hex>"}` from the end, put `}` back, HMAC that.
 */
export function signReply(secret: string, json: string): string {
  return `${json.slice(0, -1)},"sig":"${createHmac('sha256', secret).update(json).digest('hex')}"}`;
}

/** True when `raw` carries a `sig` made with `secret` over the rest of it. */
export function replySignedBy(secret: string, raw: string): boolean {
  const m = REPLY_SIG.exec(raw);
  if (!m) return false;
  const unsigned = raw.slice(0, m.index) + '}';
  return constantTimeEqual(m[1], createHmac('sha256', secret).update(unsigned).digest('hex'));
}

/** Refusals a server writes before it has checked the entry's signature (so cannot sign). */
const UNSIGNED_REFUSALS = new Set<string>(['unauthenticated', 'validation_failed', 'unavailable'] satisfies ErrorCode[]);

/**
 * Whether a reply read off our list may be acted on: signed with our secret, or one of the gate's
 * early refusals. Anything else unsigned was not written by a holder of our secret: ignore it, the
 * real reply may still come.
 */
export function trustedReply(secret: string, raw: string, reply: WireReply): boolean {
  return replySignedBy(secret, raw) || (!reply.ok && UNSIGNED_REFUSALS.has(reply.error?.code));
}

export function isWireReply(v: unknown): v is WireReply {
  return typeof v === 'object' && v !== null && typeof (v as WireReply).ok === 'boolean' && 'id' in v;
}

/** Replies taken per LPOP after a BLPOP wakes: one round trip per this many queued replies. */
export const REPLY_DRAIN_COUNT = 100;

/** What reading a reply list needs of a Redis connection (ioredis' `blpop` and `lpop` with a count). */
export interface ReplyListConnection {
  blpop(key: string, timeout: number): Promise<[string, string] | null>;
  lpop(key: string, count: number): Promise<string[] | null>;
}

/** One client's reply list and what to do with what arrives on it. */
export interface ReplyLoop {
  /** a connection of its own: BLPOP blocks it */
  connection: ReplyListConnection;
  list: string;
  /** the caller's secret: replies not signed with it are ignored (bar the gate's unsigned refusals) */
  secret: string;
  /** false once the client closes: the loop ends after the read in progress */
  running(): boolean;
  /**
   * Resolves when the client closes: the read in progress is abandoned. A cluster connection
   * disconnected while it is still connecting never settles the BLPOP it holds.
   */
  stopped?: Promise<unknown>;
  /** whether a request with this id still waits (a late or foreign reply is dropped unchecked) */
  waiting(id: string): boolean;
  /** a trusted reply to a waiting request */
  deliver(reply: WireReply & { id: string }): void;
  /** a reply ignored (not JSON, not signed with our secret): for a log line */
  ignored?(why: string): void;
  /** a read failed (Redis down): retried after 200 ms */
  failed?(err: unknown): void;
}

/**
 * The reply side of a bus client, for BusClient and MfaClient alike: BLPOP the list (1 s at a
 * time, so closing is noticed), then drain what queued up behind it with LPOP, 100 at a time;
 * each reply is matched by id to a waiting request and acted on only when `trustedReply` holds.
 * Resolves once `running()` turns false.
 */
export async function readReplies(loop: ReplyLoop): Promise<void> {
  while (loop.running()) {
    try {
      const read = loop.connection.blpop(loop.list, 1);
      const first = loop.stopped ? await Promise.race([read, loop.stopped.then(() => null)]) : await read;
      if (!first) continue;
      takeReply(loop, first[1]);
      for (;;) {
        const more = await loop.connection.lpop(loop.list, REPLY_DRAIN_COUNT);
        more?.forEach((json) => takeReply(loop, json));
        if (!more || more.length < REPLY_DRAIN_COUNT) break;
      }
    } catch (err) {
      if (!loop.running()) break;
      loop.failed?.(err);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

function takeReply(loop: ReplyLoop, json: string): void {
  let reply: unknown;
  try {
    reply = JSON.parse(json);
  } catch {
    return loop.ignored?.(`ignored a reply that is not JSON on ${loop.list}`);
  }
  if (!isWireReply(reply) || typeof reply.id !== 'string' || !loop.waiting(reply.id)) return; // late (timed out) or not ours
  if (!trustedReply(loop.secret, json, reply))
    return loop.ignored?.(`ignored a reply to ${reply.id} that is not signed with our key on ${loop.list}`);
  loop.deliver(reply as WireReply & { id: string });
}
