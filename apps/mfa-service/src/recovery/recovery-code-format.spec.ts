import { randomBytes } from 'node:crypto';
import { constantTimeEqual as hashesEqual } from '@mfa/crypto';
import { hashRecoveryCode, newRecoveryCode, normalizeRecoveryCode, RECOVERY_CODE_BITS } from './recovery-code-format';

describe('recovery code format', () => {
  it('has at least 50 random bits in a readable grouped form', () => {
    expect(RECOVERY_CODE_BITS).toBeGreaterThanOrEqual(50);
    const codes = Array.from({ length: 1000 }, newRecoveryCode);
    for (const c of codes) expect(c).toMatch(/^[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}$/);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('normalizes what people type and refuses OTP-like input', () => {
    const code = newRecoveryCode();
    expect(normalizeRecoveryCode(` ${code.toUpperCase()} `)).toBe(code.replace(/-/g, ''));
    expect(normalizeRecoveryCode('oo11-ilil-2345')).toBe('001111112345');
    expect(normalizeRecoveryCode('123456')).toBeNull();
    expect(normalizeRecoveryCode('uuuu-uuuu-uuuu')).toBeNull();
  });

  it('hashes slowly and compares equal only for the same code', async () => {
    const salt = randomBytes(16);
    const a = await hashRecoveryCode('abcdabcdabcd', salt);
    expect(hashesEqual(a, await hashRecoveryCode('abcdabcdabcd', salt))).toBe(true);
    expect(hashesEqual(a, await hashRecoveryCode('abcdabcdabce', salt))).toBe(false);
    expect(hashesEqual(a, await hashRecoveryCode('abcdabcdabcd', randomBytes(16)))).toBe(false);
  });
});
