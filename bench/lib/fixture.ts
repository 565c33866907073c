import { generateSync } from 'otplib';
import type { Bus } from '@mfa/bus';
import { Patterns, type CreateTotpDeviceReply } from '@mfa/contracts';
import { closedLoop } from './load';

/** A thin client of the admin HTTP API, as a script would use it. */
export class AdminApi {
  constructor(
    readonly baseUrl: string,
    readonly key: string,
  ) {}

  async call<T>(method: string, path: string, body?: unknown, key = this.key): Promise<T> {
    const res = await fetch(this.baseUrl + path, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  withKey(key: string): AdminApi {
    return new AdminApi(this.baseUrl, key);
  }
}

export async function createOrg(platform: AdminApi, name: string): Promise<{ orgId: string; admin: AdminApi }> {
  const org = await platform.call<{ id: string; adminKey: { key: string } }>('POST', '/v1/orgs', { name });
  return { orgId: org.id, admin: platform.withKey(org.adminKey.key) };
}

/** Adds `count` members through the bulk route (10,000 a call) and returns their ids. */
export async function addMembers(admin: AdminApi, orgId: string, count: number, tag = 'm'): Promise<string[]> {
  for (let start = 0; start < count; start += 10_000) {
    const members = Array.from({ length: Math.min(10_000, count - start) }, (_, i) => ({ email: `${tag}${start + i}@bench.example` }));
    await admin.call('POST', `/v1/orgs/${orgId}/members/bulk`, { members });
  }
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const q: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
    const page: { items: Array<{ id: string }>; nextCursor: string | null } = await admin.call(
      'GET',
      `/v1/orgs/${orgId}/members?limit=1000${q}`,
    );
    ids.push(...page.items.map((m) => m.id));
    cursor = page.nextCursor;
  } while (cursor);
  return ids;
}

export interface EnrolledAccount {
  accountId: string;
  secret: string;
}

/** Creates and enables one TOTP device per account over the bus (two consecutive codes). */
export async function enrollTotp(bus: Bus, accountIds: string[], inFlight = 50): Promise<EnrolledAccount[]> {
  const enrolled: EnrolledAccount[] = new Array(accountIds.length);
  let firstError: unknown;
  const result = await closedLoop(accountIds.length, inFlight, async (i) => {
    const accountId = accountIds[i];
    const device = (await bus.send(
      Patterns.MfaDevicesCreate,
      { accountId, type: 'totp', name: 'bench' },
      { timeoutMs: 30_000 },
    )) as CreateTotpDeviceReply;
    // the two previous steps: the later is within one step of now, and the current step stays
    // unused so the benchmark's first verify is not a replay. A time step that turns between
    // computing the codes and the server checking them fails the enable: try again with fresh codes.
    for (let attempt = 1; ; attempt++) {
      const now = Math.floor(Date.now() / 1000);
      const code1 = generateSync({ secret: device.secretBase32, epoch: now - 60 });
      const code2 = generateSync({ secret: device.secretBase32, epoch: now - 30 });
      try {
        await bus.send(Patterns.MfaDevicesEnable, { accountId, serialNumber: device.serialNumber, code1, code2 }, { timeoutMs: 30_000 });
        break;
      } catch (err) {
        if (attempt >= 3) {
          firstError ??= err;
          throw err;
        }
      }
    }
    enrolled[i] = { accountId, secret: device.secretBase32 };
  });
  if (result.errors)
    throw new Error(`enrollment failed for ${result.errors} of ${accountIds.length} accounts; first error: ${String(firstError)}`);
  return enrolled;
}

export function currentCode(secret: string): string {
  return generateSync({ secret, epoch: Math.floor(Date.now() / 1000) });
}
