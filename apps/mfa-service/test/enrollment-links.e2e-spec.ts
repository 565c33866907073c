/** One-time enrollment links: created by a member service (scope `enroll`), redeemed once by the platform (docs/web.md). */
import type { Redis } from 'ioredis';
import { AppError, InternalPatterns, Patterns } from '@mfa/contracts';
import { addMember, createOrg, createServiceKey, memberServiceBus, startTestServices, testRedis, type TestServices } from '@test/support';
import { hashLinkToken } from '../src/enrollment-links/enrollment-links.service';

let services: TestServices;
let redis: Redis;
beforeAll(async () => {
  services = await startTestServices({
    env: { WEB_PUBLIC_URL: 'https://mfa.example.test', WEB_ALLOWED_RETURN_ORIGINS: 'https://app.example.test,http://localhost:4000' },
  });
  redis = testRedis() as Redis; // a Cluster (npm run test:cluster) has the same command methods
});
afterAll(async () => {
  redis?.disconnect();
  await services?.close();
});

const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (err: AppError) => err.code,
  );

describe('mfa.enrollment.links.create / redeem', () => {
  it('a member service makes a link for its own member; the platform redeems it once; a used and an expired link say so', async () => {
    const org = await createOrg(services.orgUrl, services.platformKey);
    const member = await addMember(services.orgUrl, org);
    const key = await createServiceKey(services.orgUrl, org, ['enroll']);
    const svc = memberServiceBus(key);
    try {
      const link = await svc.bus.send(Patterns.MfaEnrollmentLinksCreate, {
        accountId: member.id,
        returnUrl: 'https://app.example.test/settings?x=1',
      });
      expect(link.url).toMatch(/^https:\/\/mfa\.example\.test\/enroll\/[A-Za-z0-9_-]{43}$/);
      expect(Date.parse(link.expiresAt) - Date.now()).toBeGreaterThan(14 * 60_000);
      const token = link.url.split('/').pop()!;
      // only the hash is stored
      expect(await redis.exists(`mfa:enrollment-link:${token}`)).toBe(0);
      expect(await redis.hget(`mfa:enrollment-link:${hashLinkToken(token)}`, 'accountId')).toBe(member.id);

      // a member service cannot redeem (internal pattern)
      expect(await errorOf(svc.bus.send(InternalPatterns.MfaEnrollmentLinksRedeem, { token }))).toBe('forbidden');
      const [a, b] = await Promise.all([
        services.bus.send(InternalPatterns.MfaEnrollmentLinksRedeem, { token }),
        services.bus.send(InternalPatterns.MfaEnrollmentLinksRedeem, { token }),
      ]);
      expect([a.state, b.state].sort()).toEqual(['redeemed', 'used']);
      expect([a, b].find((r) => r.state === 'redeemed')).toEqual({
        state: 'redeemed',
        accountId: member.id,
        orgId: org.id,
        returnUrl: 'https://app.example.test/settings?x=1',
        expiresAt: link.expiresAt,
      });

      const second = await svc.bus.send(Patterns.MfaEnrollmentLinksCreate, { accountId: member.id });
      const t2 = second.url.split('/').pop()!;
      await redis.hset(`mfa:enrollment-link:${hashLinkToken(t2)}`, 'expiresAtMs', String(Date.now() - 1));
      expect(await services.bus.send(InternalPatterns.MfaEnrollmentLinksRedeem, { token: t2 })).toEqual({ state: 'expired' });
      expect(await services.bus.send(InternalPatterns.MfaEnrollmentLinksRedeem, { token: 'A'.repeat(43) })).toEqual({ state: 'unknown' });
      expect(await errorOf(services.bus.send(InternalPatterns.MfaEnrollmentLinksRedeem, { token: 'short' }))).toBe('validation_failed');
    } finally {
      await svc.close();
    }
  });

  it("refuses a returnUrl off the allowed origins, another org's account and a key without `enroll`", async () => {
    const org = await createOrg(services.orgUrl, services.platformKey);
    const other = await createOrg(services.orgUrl, services.platformKey);
    const member = await addMember(services.orgUrl, org);
    const stranger = await addMember(services.orgUrl, other);
    const enroll = memberServiceBus(await createServiceKey(services.orgUrl, org, ['enroll']));
    const verifyOnly = memberServiceBus(await createServiceKey(services.orgUrl, org, ['verify']));
    try {
      const create = (bus: typeof enroll.bus, data: { accountId: string; returnUrl?: string }) =>
        errorOf(bus.send(Patterns.MfaEnrollmentLinksCreate, data));
      expect(await create(enroll.bus, { accountId: member.id, returnUrl: 'https://evil.example.test/' })).toBe('validation_failed');
      expect(await create(enroll.bus, { accountId: member.id, returnUrl: 'javascript:alert(1)' })).toBe('validation_failed');
      expect(await create(enroll.bus, { accountId: member.id, returnUrl: 'not a url' })).toBe('validation_failed');
      expect(await create(enroll.bus, { accountId: stranger.id })).toBe('not_found');
      expect(await create(verifyOnly.bus, { accountId: member.id })).toBe('forbidden');
      expect(await create(enroll.bus, { accountId: '00000000-0000-4000-8000-000000000000' })).toBe('not_found');
    } finally {
      await enroll.close();
      await verifyOnly.close();
    }
  });
});
