import { randomBytes, randomInt } from 'node:crypto';
import { generateSync, generateSecret } from 'otplib';
import { base32Decode, base32Encode } from './base32';
import { findConsecutive, findLastStep, findStep, hotp, timeStep, totp } from './totp';

// RFC 6238 Appendix B: one ASCII seed per algorithm, 8 digits, 30 s steps.
const SEEDS = {
  sha1: Buffer.from('12345678901234567890'),
  sha256: Buffer.from('12345678901234567890123456789012'),
  sha512: Buffer.from('1234567890123456789012345678901234567890123456789012345678901234'),
};
const RFC6238: Array<[number, string, string, string]> = [
  [59, '94287082', '46119246', '90693936'],
  [1111111109, '07081804', '68084774', '25091201'],
  [1111111111, '14050471', '67062674', '99943326'],
  [1234567890, '89005924', '91819424', '93441116'],
  [2000000000, '69279037', '90698825', '38618901'],
  [20000000000, '65353130', '77737706', '47863826'],
];
// RFC 4226 Appendix D: HOTP, SHA1, 6 digits, counters 0..9.
const RFC4226 = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];

describe('totp', () => {
  it.each(RFC6238)('matches RFC 6238 Appendix B at T=%i', (seconds, sha1, sha256, sha512) => {
    expect(totp(SEEDS.sha1, seconds * 1000, 8, 'sha1')).toBe(sha1);
    expect(totp(SEEDS.sha256, seconds * 1000, 8, 'sha256')).toBe(sha256);
    expect(totp(SEEDS.sha512, seconds * 1000, 8, 'sha512')).toBe(sha512);
  });

  it('matches RFC 4226 Appendix D', () => {
    expect(RFC4226.map((_, counter) => hotp(SEEDS.sha1, counter))).toEqual(RFC4226);
  });

  it('agrees with otplib on 500 random seeds and times', () => {
    for (let i = 0; i < 500; i++) {
      const seed = randomBytes(20);
      const epoch = randomInt(0, 2 ** 32); // up to 2106: exercises the high counter word too
      const ours = totp(seed, epoch * 1000);
      const theirs = generateSync({ secret: base32Encode(seed), epoch });
      expect(ours).toBe(theirs);
    }
  });

  it('agrees with otplib on counters above 2^32', () => {
    const seed = randomBytes(20);
    for (const counter of [2 ** 32, 2 ** 32 + 1, 2 ** 40 + 12345]) {
      expect(hotp(seed, counter)).toBe(generateSync({ secret: base32Encode(seed), strategy: 'hotp', counter }));
    }
  });

  it('finds a step inside the window only', () => {
    const seed = randomBytes(20);
    const n = timeStep(new Date());
    expect(findStep(seed, hotp(seed, n + 1), n - 1, n + 1)).toBe(n + 1);
    expect(findStep(seed, hotp(seed, n + 3), n - 1, n + 1)).toBeNull();
    expect(findConsecutive(seed, hotp(seed, n - 1), hotp(seed, n), n - 1, n + 1)).toBe(n);
    expect(findConsecutive(seed, hotp(seed, n), hotp(seed, n - 1), n - 1, n + 1)).toBeNull();
  });

  it('tries the expected step first and still finds every other step of the window', () => {
    const seed = randomBytes(20);
    const n = timeStep(new Date());
    for (const step of [n - 1, n, n + 1]) expect(findStep(seed, hotp(seed, step), n - 1, n + 1, n)).toBe(step);
    // an expected step outside the range is ignored, not tried
    expect(findStep(seed, hotp(seed, n + 5), n - 1, n + 1, n + 5)).toBeNull();
    expect(findStep(seed, hotp(seed, n - 1), n - 1, n + 1, n + 5)).toBe(n - 1);
  });

  it('findLastStep answers the latest of two steps sharing a code (diagnose burns that one)', () => {
    const seed = randomBytes(20);
    // two steps with the same 6-digit code: a birthday search finds one within a few thousand steps
    const seen = new Map<string, number>();
    let pair: [number, number] | null = null;
    for (let step = 0; pair === null && step < 200_000; step++) {
      const c = hotp(seed, step);
      const prev = seen.get(c);
      if (prev === undefined) seen.set(c, step);
      else pair = [prev, step];
    }
    const [first, last] = pair!;
    const code = hotp(seed, first);
    expect(findStep(seed, code, first, last)).toBe(first);
    expect(findLastStep(seed, code, first, last)).toBe(last);
    expect(findLastStep(seed, code, first + 1, last - 1)).toBeNull();
  });
});

describe('base32', () => {
  it('round-trips and reads otplib secrets', () => {
    for (let i = 0; i < 100; i++) {
      const bytes = randomBytes(randomInt(1, 40));
      expect(base32Decode(base32Encode(bytes))).toEqual(bytes);
    }
    const secret = generateSecret();
    expect(base32Encode(base32Decode(secret))).toBe(secret.replace(/=/g, ''));
  });

  it('encodes RFC 4648 test vectors without padding', () => {
    expect(base32Encode(Buffer.from('foobar'))).toBe('MZXW6YTBOI');
    expect(base32Encode(Buffer.from('fo'))).toBe('MZXQ');
    expect(() => base32Decode('MZ1Q')).toThrow();
  });
});
