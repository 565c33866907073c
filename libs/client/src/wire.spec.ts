import { createHmac } from 'node:crypto';
import {
  fieldsOf,
  parseTraceparent,
  readReplies,
  type ReplyListConnection,
  requestFields,
  signEntry,
  signReply,
  TRACEPARENT_LENGTH,
} from './wire';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';
const VALID = `00-${TRACE_ID}-${SPAN_ID}-01`;
const creds = { keyId: 'k1', secret: 's3cret' };

const flat = (...kv: Array<string | Buffer>) => kv.map((v) => (Buffer.isBuffer(v) ? v : Buffer.from(v)));

describe('parseTraceparent (W3C Trace Context, version 00, strictly)', () => {
  it('reads a valid one', () => {
    expect(parseTraceparent(VALID)).toEqual({ traceId: TRACE_ID, spanId: SPAN_ID, flags: 1 });
    expect(parseTraceparent(`00-${TRACE_ID}-${SPAN_ID}-00`)).toEqual({ traceId: TRACE_ID, spanId: SPAN_ID, flags: 0 });
    expect(VALID).toHaveLength(TRACEPARENT_LENGTH);
  });

  it.each([
    ['upper-case hex', VALID.toUpperCase()],
    ['another version', `01-${TRACE_ID}-${SPAN_ID}-01`],
    ['version ff', `ff-${TRACE_ID}-${SPAN_ID}-01`],
    ['fields after it', `${VALID}-extra`],
    ['a zero trace id', `00-${'0'.repeat(32)}-${SPAN_ID}-01`],
    ['a zero span id', `00-${TRACE_ID}-${'0'.repeat(16)}-01`],
    ['a short trace id', `00-${TRACE_ID.slice(1)}-${SPAN_ID}-01`],
    ['other separators', VALID.replace(/-/g, '_')],
    ['a newline', `${VALID.slice(0, 54)}\n`],
    ['leading whitespace', ` ${VALID.slice(1)}`],
    ['empty', ''],
    ['huge', `00-${'a'.repeat(1_000_000)}`],
  ])('refuses %s', (_what, value) => {
    expect(parseTraceparent(value)).toBeNull();
  });

  it('refuses what is not a string', () => {
    for (const v of [undefined, null, 55, {}, [VALID], Buffer.from(VALID)]) expect(parseTraceparent(v)).toBeNull();
  });
});

describe('traceparent on the wire', () => {
  it('signs it on its own line before data; without one the message is the old one', () => {
    const hmac = (msg: string) => createHmac('sha256', 's').update(msg).digest('hex');
    expect(signEntry('s', 'r1', 'p', '9', 'bus:reply:k:1', '{}')).toBe(hmac('r1\np\n9\nbus:reply:k:1\n{}'));
    expect(signEntry('s', 'r1', 'p', '9', 'bus:reply:k:1', '{}', VALID)).toBe(hmac(`r1\np\n9\nbus:reply:k:1\n${VALID}\n{}`));
    expect(signEntry('s', 'r1', 'p', '9', '', '{}', VALID)).not.toBe(signEntry('s', 'r1', 'p', '9', '', '{}'));
  });

  it('requestFields sends a valid traceparent, signed, and leaves any other value out', () => {
    const with_ = requestFields(creds, 'r1', 'mfa.internal.ping', {}, null, 123, VALID);
    const f = fieldsOf(flat(...with_));
    expect(f.traceparent).toBe(VALID);
    expect(f.sig).toBe(signEntry('s3cret', 'r1', 'mfa.internal.ping', '123', '', '{}', VALID));

    const bad = requestFields(creds, 'r1', 'mfa.internal.ping', {}, null, 123, 'not-a-traceparent');
    expect(bad).not.toContain('traceparent');
    expect(bad).toEqual(requestFields(creds, 'r1', 'mfa.internal.ping', {}, null, 123));
  });

  it('fieldsOf keeps a valid traceparent and marks any other as invalid, never decoding a huge one', () => {
    expect(fieldsOf(flat('id', 'a', 'traceparent', VALID))).toEqual({ id: 'a', traceparent: VALID });
    expect(fieldsOf(flat('id', 'a', 'traceparent', 'garbage'))).toEqual({ id: 'a', traceparentInvalid: true });
    const huge = Buffer.alloc(8 * 1024 * 1024, 'a');
    const f = fieldsOf(flat('id', 'a', 'traceparent', huge));
    // refused as a traceparent, not as an overlong field: the entry itself is fine
    expect(f).toEqual({ id: 'a', traceparentInvalid: true });
    // the first occurrence decides, an invalid one included
    expect(fieldsOf(flat('traceparent', 'x', 'traceparent', VALID))).toEqual({ traceparentInvalid: true });
    expect(fieldsOf(flat('traceparent', VALID, 'traceparent', 'x'))).toEqual({ traceparent: VALID });
  });
});

describe('readReplies (the reply loop of BusClient and MfaClient)', () => {
  /** A reply list in memory: BLPOP waits (a tick) when empty, LPOP takes up to `count`. */
  function list(items: string[], failFirst = false): ReplyListConnection & { lpops: number } {
    let failed = !failFirst;
    const conn = {
      lpops: 0,
      async blpop(): Promise<[string, string] | null> {
        if (!failed) {
          failed = true;
          throw new Error('connection lost');
        }
        await new Promise((r) => setImmediate(r));
        const v = items.shift();
        return v === undefined ? null : ['l', v];
      },
      async lpop(_key: string, count: number): Promise<string[] | null> {
        conn.lpops++;
        const taken = items.splice(0, count);
        return taken.length ? taken : null;
      },
    };
    return conn;
  }

  it('delivers trusted replies to waiting ids and ignores the rest, draining 100 at a time', async () => {
    const json = (id: string, extra: object = { ok: true, data: id }) => JSON.stringify({ id, ...extra });
    const waiting = new Set(['a', 'b', 'c', 'late-forged', ...Array.from({ length: 250 }, (_, i) => `n${i}`)]);
    const items = [
      signReply('s', json('a')),
      json('b', { ok: false, error: { code: 'unauthenticated', message: 'sig: does not match' } }), // the gate's unsigned refusal
      json('c'), // unsigned success: forged
      signReply('other', json('c')), // signed with another secret
      'not json',
      signReply('s', json('nobody-waits')),
      ...Array.from({ length: 250 }, (_, i) => signReply('s', json(`n${i}`))),
    ];
    const conn = list(items, true);
    const delivered: string[] = [];
    const ignored: string[] = [];
    const failures: unknown[] = [];
    let running = true;
    const done = readReplies({
      connection: conn,
      list: 'bus:reply:k:1',
      secret: 's',
      running: () => running,
      waiting: (id) => waiting.has(id),
      deliver: (r) => {
        delivered.push(r.id);
        waiting.delete(r.id);
      },
      ignored: (why) => ignored.push(why),
      failed: (err) => failures.push(err),
    });
    await waitUntil(() => items.length === 0 && delivered.length === 252);
    running = false;
    await done;
    expect(delivered.slice(0, 2)).toEqual(['a', 'b']);
    expect(delivered).not.toContain('c');
    expect(ignored).toEqual([
      'ignored a reply to c that is not signed with our key on bus:reply:k:1',
      'ignored a reply to c that is not signed with our key on bus:reply:k:1',
      'ignored a reply that is not JSON on bus:reply:k:1',
    ]);
    expect(failures).toHaveLength(1); // the first read failed and was retried
    expect(conn.lpops).toBe(3); // after one BLPOP the 256 queued behind it come in LPOPs of 100
  });
});

async function waitUntil(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}
