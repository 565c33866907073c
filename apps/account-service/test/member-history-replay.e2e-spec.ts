/**
 * The history's replay against the real writers on real Postgres: generated sequences of policy
 * versions (applyIfNewer), device events (some late, out of order), admin resets and exemptions,
 * each written by the same repository methods the services use; then, at several moments, the
 * newest item of the history must be the state GET member answers (MemberEnforcementService.find).
 */
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { FixedClock } from '@mfa/clock';
import type { MfaPolicy } from '@mfa/contracts';
import { dataSourceOptions } from '../src/database/data-source';
import { AccountEnforcementRepository, type DeviceEventKind } from '../src/enforcement/account-enforcement.repository';
import { MemberEnforcementRepository } from '../src/enforcement/member-enforcement.repository';
import { MemberEnforcementService } from '../src/enforcement/member-enforcement.service';
import { MemberHistoryRepository } from '../src/enforcement/member-history.repository';
import { MemberHistoryService } from '../src/enforcement/member-history.service';
import { OrgPolicyRepository } from '../src/enforcement/org-policy.repository';

const H = 3_600_000;
let db: DataSource;
let policies: OrgPolicyRepository;
let accounts: AccountEnforcementRepository;
let members: MemberEnforcementService;
let history: MemberHistoryService;
const clock = new FixedClock();

beforeAll(async () => {
  db = new DataSource(dataSourceOptions(process.env.DATABASE_URL!));
  await db.initialize();
  policies = new OrgPolicyRepository(db);
  accounts = new AccountEnforcementRepository(db);
  members = new MemberEnforcementService(policies, new MemberEnforcementRepository(db), accounts, clock);
  history = new MemberHistoryService(new MemberHistoryRepository(db), clock);
});
afterAll(async () => {
  await db?.destroy();
});

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4_294_967_296;
  };
}

it('ends, on 300 generated timelines written by the real repositories, in the state GET member answers', async () => {
  for (let seed = 1; seed <= 300; seed++) {
    const r = rng(seed);
    const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
    const orgId = randomUUID();
    const [{ id: accountId, created_at: createdAt }]: Array<{ id: string; created_at: Date }> = await db.query(
      // in the past, so an admin reset's anchor (LEAST(at, now())) is the reset's own time
      `INSERT INTO accounts.accounts (org_id, email, created_at) VALUES ($1, 'm@example.test', now() - interval '60 days') RETURNING id, created_at`,
      [orgId],
    );
    // facts happen after the creation, minutes to days apart, sometimes delivered late
    let t = new Date(createdAt).getTime() + 1000;
    let version = 0;
    for (let i = 0, n = 3 + Math.floor(r() * 10); i < n; i++) {
      t += pick([1, 60, 3600, 30 * 3600]) * 1000;
      const late = r() < 0.2 ? t - pick([500, 5000]) : t;
      const kind = pick(['policy', 'device', 'device', 'reset', 'exempt', 'unexempt']);
      if (kind === 'policy') {
        const policy: MfaPolicy = {
          orgId,
          version: ++version,
          requireMfa: r() < 0.75,
          gracePeriodHours: pick([0, 1, 24, 72]),
          allowedMethods: ['totp', 'sms'],
          maxMfaAgeSeconds: null,
          secureMethodsOnly: r() < 0.3,
          updatedAt: new Date(t).toISOString(),
        };
        await policies.applyIfNewer(policy);
      } else if (kind === 'device') {
        const active = pick([0, 1, 2]);
        await accounts.applyDeviceEvent(accountId, { active, secure: Math.min(active, pick([0, 1])) }, new Date(late), {
          kind: pick<DeviceEventKind>(['device_enabled', 'device_removed']),
          serialNumber: 'totp:x',
        });
      } else if (kind === 'reset') {
        const active = pick([0, 0, 1]);
        await accounts.applyDeviceReset(orgId, accountId, { active, secure: 0 }, new Date(late), 'totp:x');
      } else if (kind === 'exempt') {
        await accounts.setExemption(orgId, accountId, new Date(t + pick([1, 5, 48]) * H), 'r', new Date(t));
      } else {
        await accounts.setExemption(orgId, accountId, null, null, new Date(t));
      }
    }
    for (const ahead of [0, 2 * H, 50 * H, 500 * H]) {
      const now = new Date(t + ahead);
      const items = await history.items(orgId, accountId, now);
      const member = await members.find(accountId, orgId, now);
      if (items[0].to !== member!.enforcement.state) {
        throw new Error(`seed ${seed}, now +${ahead / H} h: history ends ${items[0].to}, GET member ${member!.enforcement.state}`);
      }
      for (let i = 0; i < items.length - 1; i++) {
        if (items[i].from !== items[i + 1].to) throw new Error(`seed ${seed}: item ${i} does not start where the older one ended`);
      }
    }
  }
});
