import { createHmac, randomBytes, randomInt } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@nestjs/common';
import { Queue } from 'bullmq';
import { Patterns, QUEUE_PREFIX, Queues } from '@mfa/contracts';
import { verifySmsWebhook } from '../src/sms/webhook-signature';
import { newMember, startHarness, waitFor, type Harness } from './mfa-test-harness';

interface Received {
  raw: string;
  signature: string;
  body: { to: string; body: string; deviceSerialNumber: string; accountId: string; sentAt: string };
}

const secret = randomBytes(32).toString('hex');
const received: Received[] = [];
/** statuses to answer, per phone number, in order (then 200) */
const script = new Map<string, number[]>();
let server: Server;
let h: Harness;
let queue: Queue;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const body = JSON.parse(raw) as Received['body'];
      received.push({ raw, signature: String(req.headers['x-mfa-signature']), body });
      const next = script.get(body.to)?.shift();
      res.writeHead(next ?? 200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sms`;
  h = await startHarness({
    SMS_SENDER: 'webhook',
    SMS_WEBHOOK_URL: url,
    SMS_WEBHOOK_SECRET: secret,
    SMS_WEBHOOK_ATTEMPTS: '4',
    SMS_WEBHOOK_BACKOFF_MS: '50',
    SMS_RESEND_SECONDS: '0',
  });
  queue = new Queue(Queues.SmsDelivery, { connection: h.redis, prefix: QUEUE_PREFIX });
});
afterAll(async () => {
  await queue?.close();
  await h?.close();
  server?.close();
});

const phone = () => `+4420${String(randomInt(0, 100_000_000)).padStart(8, '0')}`;
const to = (number: string) => received.filter((r) => r.body.to === number);

/** An independent check of the documented scheme: t=<unix>,v1=hex HMAC-SHA256(secret, "<t>.<raw body>"). */
function signatureHolds(r: Received): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(r.signature);
  if (!m) return false;
  const expected = createHmac('sha256', secret).update(`${m[1]}.${r.raw}`).digest('hex');
  return expected === m[2] && Math.abs(Date.now() / 1000 - Number(m[1])) < 300;
}

describe('SMS webhook sender', () => {
  it('POSTs signed JSON {to, body, deviceSerialNumber, accountId, sentAt}; the code in it enables the device; nothing goes to the outbox', async () => {
    const m = newMember();
    const number = phone();
    const dev = await h.send(Patterns.MfaDevicesCreate, { accountId: m.id, type: 'sms', name: 'mobile', phoneNumber: number });
    const [msg] = await waitFor(() => (to(number).length ? to(number) : null));
    expect(msg.body).toEqual({
      to: number,
      body: expect.stringMatching(/\d{6}/),
      deviceSerialNumber: dev.serialNumber,
      accountId: m.id,
      sentAt: h.clock.now().toISOString(),
    });
    expect(signatureHolds(msg)).toBe(true);
    expect(verifySmsWebhook(secret, msg.signature, msg.raw)).toBe(true);
    // a receiver refuses a changed body, another secret, or an old timestamp
    expect(verifySmsWebhook(secret, msg.signature, msg.raw.replace(number, phone()))).toBe(false);
    expect(verifySmsWebhook('x'.repeat(64), msg.signature, msg.raw)).toBe(false);
    expect(verifySmsWebhook(secret, msg.signature, msg.raw, 300, Date.now() + 301_000)).toBe(false);

    const code = /(\d{6})/.exec(msg.body.body)![1];
    expect(await h.send(Patterns.MfaDevicesEnable, { accountId: m.id, serialNumber: dev.serialNumber, code1: code })).toMatchObject({
      status: 'active',
    });
    expect(await h.db.query(`SELECT 1 FROM mfa.sms_outbox WHERE serial_number = $1`, [dev.serialNumber])).toHaveLength(0);
  });

  it('retries a failing receiver with backoff until it accepts; the job data holds no number or code in clear', async () => {
    const m = newMember();
    const number = phone();
    script.set(number, [503, 500, 429]);
    await h.send(Patterns.MfaDevicesCreate, { accountId: m.id, type: 'sms', name: 'mobile', phoneNumber: number });
    // the job while it waits for its retry
    const job = await waitFor(async () => (await queue.getJobs(['delayed', 'waiting', 'active'])).find((j) => j.data.accountId === m.id));
    expect(JSON.stringify(job.data)).not.toContain(number.slice(1));
    expect(Object.keys(job.data).sort()).toEqual(['accountId', 'deviceSerialNumber', 'sealed', 'sentAt', 'sig']); // sig: signed by the platform (docs/security.md)

    const hits = await waitFor(() => (to(number).length === 4 ? to(number) : null));
    expect(hits.every(signatureHolds)).toBe(true);
    const code = /(\d{6})/.exec(hits[0].body.body)![1];
    expect(JSON.stringify(job.data)).not.toContain(code);
    expect(new Set(hits.map((x) => x.raw)).size).toBe(1); // the same message each time, signed anew
  });

  it('dead-letters a message the receiver keeps refusing: kept as failed after every attempt, and logged', async () => {
    const errors = jest.spyOn(Logger.prototype, 'error');
    const m = newMember();
    const number = phone();
    script.set(number, [500, 500, 500, 500, 500]);
    const dev = await h.send(Patterns.MfaDevicesCreate, { accountId: m.id, type: 'sms', name: 'mobile', phoneNumber: number });
    const failed = await waitFor(async () => (await queue.getJobs(['failed'])).find((j) => j.data.accountId === m.id), 10_000);
    expect(failed.attemptsMade).toBe(4);
    expect(to(number)).toHaveLength(4);
    await waitFor(() =>
      errors.mock.calls.some(([msg]) =>
        String(msg).includes(`SMS delivery job ${failed.id} (device ${dev.serialNumber}) dead-lettered after 4 attempts`),
      ),
    );
    expect(errors.mock.calls.map(([msg]) => String(msg)).join('\n')).not.toContain(number.slice(1));
    errors.mockRestore();
  });

  it('does not retry a 4xx that a retry cannot fix', async () => {
    const m = newMember();
    const number = phone();
    script.set(number, [400]);
    await h.send(Patterns.MfaDevicesCreate, { accountId: m.id, type: 'sms', name: 'mobile', phoneNumber: number });
    const failed = await waitFor(async () => (await queue.getJobs(['failed'])).find((j) => j.data.accountId === m.id));
    expect(failed.attemptsMade).toBe(1);
    expect(failed.failedReason).toBe('SMS webhook answered 400');
    expect(to(number)).toHaveLength(1);
  });
});
