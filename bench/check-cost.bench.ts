/**
 * P5: CPU cost of checking one TOTP code, in process, against plain node:crypto HMAC-SHA1.
 *
 * The check is the mfa-service's own hot-path function, `TotpMethod.match`
 * (envelope decode + AES-256-GCM decrypt of the seed once + the HOTP window around now + drift,
 * key wiped after), called on a real TotpMethod whose only dependency used by that
 * method is a real KeyMaterial. No copy of the algorithm lives here.
 * The baseline is N x `createHmac('sha1', key).update(counter).digest()` with the same 20-byte
 * key and an 8-byte counter: the irreducible cost of one HOTP value.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { Envelope, parseKeyRing, generateKeyRing } from '@mfa/crypto';
import { seedAad } from '../apps/mfa-service/src/common/aad';
import { KeyMaterial } from '../apps/mfa-service/src/common/key-material';
import { hotp, timeStep } from '../apps/mfa-service/src/methods/totp/totp';
import { type ActiveDevice, codeProof } from '../apps/mfa-service/src/methods/device-method';
import { TotpMethod } from '../apps/mfa-service/src/methods/totp/totp.method';
import { fmt, median, type BenchRow } from './lib/stats';

type Match = (device: ActiveDevice, code: string, step: number) => number | null;

function ratePerSecond(n: number, fn: (i: number) => void): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  return n / (Number(process.hrtime.bigint() - t0) / 1e9);
}

export interface CheckCostResult {
  rows: BenchRow[];
  checkRate: number;
  hmacRate: number;
  wrongRate: number;
}

export function checkCost(n: number, rounds = 5): CheckCostResult {
  const keys = new KeyMaterial(new Envelope(parseKeyRing(generateKeyRing())), [], Buffer.alloc(32));
  // only `keys` is used by match; the other dependencies are for the database and Redis paths
  const totp = new TotpMethod(null as never, null as never, null as never, keys, null as never, null as never);
  // the proof is built once per request on the hot path, as here
  const proofs = new Map<string, ReturnType<typeof codeProof>>();
  let at = new Date(0);
  const match: Match = (device, code, step) => {
    let proof = proofs.get(code);
    if (!proof) proofs.set(code, (proof = codeProof(code)));
    if (at.getTime() !== step * 30_000) at = new Date(step * 30_000);
    return totp.match(device, proof, at);
  };

  const seed = randomBytes(20);
  const id = randomUUID();
  const device: ActiveDevice = {
    locked_until: null,
    stored_failures: null,
    id,
    serial_number: 'totp-bench',
    type: 'totp',
    org_id: randomUUID(),
    secret_enc: keys.envelope.encrypt(seed, seedAad(id)),
    drift_steps: 0,
    last_step: null,
    sms_code_hash: null,
    sms_code_expires_at: null,
    allowed_methods: null,
  };
  const step = timeStep(Date.now());
  const right = hotp(seed, step);
  let wrong = '000000';
  while ([-1, 0, 1].some((d) => hotp(seed, step + d) === wrong)) wrong = String(Number(wrong) + 1).padStart(6, '0');
  if (match(device, right, step) !== step) throw new Error('P5: TotpMethod.match does not accept the right code');
  if (match(device, wrong, step) !== null) throw new Error('P5: TotpMethod.match accepts a wrong code');

  const counter = Buffer.alloc(8);
  const hmac = (i: number) => {
    counter.writeUInt32BE(i, 4);
    createHmac('sha1', seed).update(counter).digest();
  };
  const checkRight = () => match(device, right, step);
  const checkWrong = () => match(device, wrong, step);

  // warm-up, then interleaved rounds (the machine is shared: medians of rounds)
  ratePerSecond(Math.min(n, 20_000), hmac);
  ratePerSecond(Math.min(n, 20_000), checkRight);
  ratePerSecond(Math.min(n, 20_000), checkWrong);
  const h: number[] = [];
  const c: number[] = [];
  const w: number[] = [];
  for (let r = 0; r < rounds; r++) {
    h.push(ratePerSecond(n, hmac));
    c.push(ratePerSecond(n, checkRight));
    w.push(ratePerSecond(n, checkWrong));
  }
  const hmacRate = median(h);
  const checkRate = median(c);
  const wrongRate = median(w);
  const row = (what: string, rate: number): BenchRow => ({
    id: 'P5',
    what,
    figure: `${fmt(rate / 1000, 0)}k checks/s (${fmt(1e6 / rate, 2)} µs)`,
    baseline: `HMAC-SHA1 ${fmt(hmacRate / 1000, 0)}k/s (${fmt(1e6 / hmacRate, 2)} µs)`,
    ratio: `${fmt(rate / hmacRate)}x`,
    goal: '>= 0.5x',
    met: rate / hmacRate >= 0.5,
  });
  return {
    checkRate,
    hmacRate,
    wrongRate,
    rows: [
      row(`CPU cost of checking one right TOTP code (matchTotp: decrypt seed + window; n=${n}, median of ${rounds})`, checkRate),
      row(`... a wrong code (whole window of 3 steps)`, wrongRate),
    ],
  };
}
