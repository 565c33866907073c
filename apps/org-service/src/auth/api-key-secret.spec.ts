import { constantTimeEqual as sameDigest } from '@mfa/crypto';
import { newApiKeySecret, parseApiKey, sameSecret } from './api-key-secret';

describe('api key secrets', () => {
  it('embeds the key id and stores only the hash of the secret', () => {
    const sut = newApiKeySecret();
    expect(sut.key).toMatch(new RegExp(`^mfak_${sut.id}_[A-Za-z0-9_-]{43}$`));
    expect(sut.hash).toHaveLength(32);
    expect(sut.hash.toString('hex')).not.toContain(sut.key);
    const parsed = parseApiKey(sut.key)!;
    expect(parsed.id).toBe(sut.id);
    expect(sameDigest(parsed.hash, sut.hash)).toBe(true);
  });

  it('gives each key its own id and secret', () => {
    const keys = new Set(Array.from({ length: 100 }, () => newApiKeySecret().key));
    expect(keys.size).toBe(100);
  });

  it.each([
    '',
    'mfak_',
    'mfak_nope_secret',
    'Bearer x',
    `mfak_${'0'.repeat(36)}_${'a'.repeat(43)}`,
    `mfak_00000000-0000-4000-8000-000000000000_${'a'.repeat(42)}`,
  ])('refuses the malformed key %p', (key) => expect(parseApiKey(key)).toBeNull());

  it('tells a different secret for the same id apart', () => {
    const a = newApiKeySecret();
    const forged = parseApiKey(a.key.slice(0, -1) + (a.key.endsWith('A') ? 'B' : 'A'))!;
    expect(sameDigest(forged.hash, a.hash)).toBe(false);
  });

  it('compares strings of any length without throwing', () => {
    expect(sameSecret('abc', 'abc')).toBe(true);
    expect(sameSecret('abc', 'abcd')).toBe(false);
    expect(sameDigest(Buffer.alloc(3), Buffer.alloc(4))).toBe(false);
  });
});
