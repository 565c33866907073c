/**
 * Scripts on the cluster's auto-pipelined command connections (clusterCommandOptions). ioredis
 * groups a tick's commands by the node of their first argument; a script defined without
 * `numberOfKeys` takes the key count first, so its calls were grouped by the slot of "1" or "2",
 * not of their keys: two in one tick whose keys lie on different masters failed together ("All
 * keys in the pipeline should belong to the same slots allocation group"). Found 2026-12-01: an SMS
 * send and a recovery-code set in one tick ({sms} and {recovery} on different masters), or two
 * enrollment-link redemptions, failed.
 */
import { EnrollmentLinkStore } from '../../apps/mfa-service/src/enrollment-links/enrollment-link.store';
import { RateLimiter } from '../../apps/mfa-service/src/limits/rate-limiter';
import type { MfaServiceEnv } from '../../apps/mfa-service/src/config/mfa-service.env';
import type { SecurityMetrics } from '@mfa/observability';
import { TEST_CLUSTER_NODES, TEST_REDIS_URL } from '@mfa/testing';

const run = TEST_CLUSTER_NODES ? describe : describe.skip;

run('scripts on auto-pipelined cluster connections', () => {
  const env = { REDIS_URL: TEST_REDIS_URL } as MfaServiceEnv;
  const limiter = new RateLimiter(env, { rateLimited: () => undefined } as unknown as SecurityMetrics);
  const links = new EnrollmentLinkStore(env);
  afterAll(async () => {
    await limiter.onModuleDestroy();
    await links.onModuleDestroy();
  });

  it('rate limits of different hash tags taken in one tick all answer', async () => {
    const now = new Date();
    const id = `${process.pid}-${Date.now()}`;
    const takes = await Promise.allSettled([
      limiter.take(
        [
          { key: `mfa:limit:{sms}:phone:${id}`, max: 5, what: 'SMS' },
          { key: `mfa:limit:{sms}:account:${id}`, max: 5, what: 'SMS' },
        ],
        now,
      ),
      limiter.take([{ key: `mfa:limit:{recovery}:account:${id}`, max: 5, what: 'sets' }], now),
    ]);
    expect(takes.map((t) => (t.status === 'rejected' ? String(t.reason) : 'ok'))).toEqual(['ok', 'ok']);
  });

  it('enrollment links on different masters redeemed in one tick all answer', async () => {
    const now = Date.now();
    const hashes = Array.from({ length: 12 }, (_, i) => `ap-${process.pid}-${now}-${i}`);
    for (const h of hashes) await links.save(h, { accountId: 'a', orgId: 'o', returnUrl: null, expiresAtMs: now + 60_000 }, now);
    const redeemed = await Promise.allSettled(hashes.map((h) => links.redeem(h, now)));
    expect(redeemed.map((r) => (r.status === 'rejected' ? String(r.reason) : r.value.state))).toEqual(hashes.map(() => 'redeemed'));
  });
});
