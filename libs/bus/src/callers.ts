import type { ResolveCallersReply, ResolveCallersRequest, ServiceKeyScope } from '@mfa/contracts';
import type { InternalKey } from '@mfa/crypto';

/** Who sent a bus entry, as its signature proved. Handlers read it with `ctx.getCaller()`. */
export type BusCaller =
  { kind: 'platform'; keyId: string } | { kind: 'service'; keyId: string; orgId: string; scopes: readonly ServiceKeyScope[] };

/** A member service's key as a verifier needs it. */
export interface ServiceKeyRecord {
  id: string;
  orgId: string;
  scopes: readonly ServiceKeyScope[];
  /** the HMAC secret (derived from the internal key; never stored) */
  secret: string;
  revoked: boolean;
}

/**
 * Where a bus server learns who a key belongs to and which org an account is in. Each service
 * brings its own (account-service reads its tables; mfa-service asks account-service).
 */
export interface CallerDirectory {
  /** the records of these key ids; unknown ids are absent */
  serviceKeys(ids: readonly string[]): Promise<Map<string, ServiceKeyRecord>>;
  /** the org of each account; unknown accounts are absent */
  accountOrgs(ids: readonly string[]): Promise<Map<string, string>>;
}

/** Injection token: an app that serves member services provides its CallerDirectory under it. */
export const CALLER_DIRECTORY = Symbol('CALLER_DIRECTORY');

/** Entries are refused within this long of a key's revocation, on every instance. */
export const KEY_CACHE_MS = 2000;
const MAX_KEYS_CACHED = 10_000;
const MAX_ACCOUNTS_CACHED = 200_000;

/**
 * Caches a directory: key records (and unknown ids, so random ids cannot hammer the source) for
 * KEY_CACHE_MS; account -> org for as long as it fits, since an account never changes org
 * (unknown accounts are not cached: one may be created the next moment).
 */
export class CachingCallerDirectory implements CallerDirectory {
  private readonly keys = new Map<string, { at: number; record: ServiceKeyRecord | null }>();
  private readonly orgs = new Map<string, string>();

  constructor(
    private readonly source: CallerDirectory,
    private readonly now: () => number = Date.now,
  ) {}

  async serviceKeys(ids: readonly string[]): Promise<Map<string, ServiceKeyRecord>> {
    const out = new Map<string, ServiceKeyRecord>();
    const missing: string[] = [];
    const t = this.now();
    for (const id of new Set(ids)) {
      const hit = this.keys.get(id);
      if (hit && t - hit.at < KEY_CACHE_MS) {
        if (hit.record) out.set(id, hit.record);
      } else missing.push(id);
    }
    if (missing.length === 0) return out;
    const found = await this.source.serviceKeys(missing);
    if (this.keys.size + missing.length > MAX_KEYS_CACHED) this.keys.clear();
    for (const id of missing) {
      const record = found.get(id) ?? null;
      this.keys.set(id, { at: t, record });
      if (record) out.set(id, record);
    }
    return out;
  }

  async accountOrgs(ids: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const missing: string[] = [];
    for (const id of new Set(ids)) {
      const org = this.orgs.get(id);
      if (org) out.set(id, org);
      else missing.push(id);
    }
    if (missing.length === 0) return out;
    const found = await this.source.accountOrgs(missing);
    if (this.orgs.size + found.size > MAX_ACCOUNTS_CACHED) this.orgs.clear();
    for (const [id, org] of found) {
      this.orgs.set(id, org);
      out.set(id, org);
    }
    return out;
  }
}

/**
 * A directory over `accounts.internal.callers.resolve` (or account-service's own service behind
 * it), cached: the secrets are derived here from the internal key and each key's salt.
 */
export function resolvingCallerDirectory(
  resolve: (req: ResolveCallersRequest) => Promise<ResolveCallersReply>,
  internalKey: InternalKey,
  /** accounts' orgs the service already knows from its own tables; the rest are resolved */
  knownOrgs: (ids: readonly string[]) => Promise<Map<string, string>> = async () => new Map(),
): CallerDirectory {
  return new CachingCallerDirectory({
    async serviceKeys(ids) {
      const { keys } = await resolve({ keyIds: [...ids], accountIds: [] });
      return new Map(
        keys.map((k) => [
          k.id,
          {
            id: k.id,
            orgId: k.orgId,
            scopes: k.scopes,
            revoked: k.revoked,
            secret: internalKey.serviceKeySecret(k.id, Buffer.from(k.salt, 'base64')),
          },
        ]),
      );
    },
    async accountOrgs(ids) {
      const known = await knownOrgs(ids);
      const rest = ids.filter((id) => !known.has(id));
      if (rest.length === 0) return known;
      const { accounts } = await resolve({ keyIds: [], accountIds: rest });
      for (const a of accounts) known.set(a.id, a.orgId);
      return known;
    },
  });
}
