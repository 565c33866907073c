import type { AuditService } from '../audit/audit.service';
import type { PlatformKey } from '../auth/platform-key';
import type { ApiKeyEntity } from '../database/entities/api-key.entity';
import type { ApiKeyRepository } from './api-key.repository';
import { ApiKeyService } from './api-key.service';

describe(ApiKeyService.name, () => {
  const stored = new Map<string, ApiKeyEntity>();
  const repo = {
    insert: jest.fn(async (_db: unknown, k: ApiKeyEntity) => stored.set(k.id, { ...k, revokedAt: null, createdAt: new Date() })),
    findById: jest.fn(async (id: string) => stored.get(id) ?? null),
    revoke: jest.fn(async (_db: unknown, orgId: string, id: string) => {
      const row = stored.get(id);
      if (row?.orgId !== orgId) return 'missing';
      if (row.revokedAt) return 'already';
      row.revokedAt = new Date();
      return 'revoked';
    }),
    transaction: jest.fn(async (work: (m: unknown) => unknown) => work({ tx: true })),
  };
  const platformKey = { matches: (k: string) => k === 'platform-secret' };
  const audit = { record: jest.fn() };
  const sut = new ApiKeyService(
    repo as unknown as ApiKeyRepository,
    platformKey as unknown as PlatformKey,
    audit as unknown as AuditService,
  );
  const admin = { kind: 'api_key' as const, keyId: 'k-admin', orgId: 'org-1', role: 'admin' as const };

  it('returns the key once and stores only its hash', async () => {
    const created = await sut.create({ query: jest.fn() }, 'org-1', 'auditor', 'ci');
    expect(created).toEqual({ id: expect.any(String), key: expect.stringMatching(/^mfak_/), role: 'auditor', label: 'ci' });
    const row = stored.get(created.id)!;
    expect(JSON.stringify(row)).not.toContain(created.key.split('_').pop());
    await expect(sut.authenticate(created.key)).resolves.toEqual({ kind: 'api_key', keyId: created.id, orgId: 'org-1', role: 'auditor' });
  });

  it('recognizes the platform key', async () => {
    await expect(sut.authenticate('platform-secret')).resolves.toEqual({ kind: 'platform' });
  });

  it('refuses a revoked key, a forged secret and garbage', async () => {
    const created = await sut.create({ query: jest.fn() }, 'org-1', 'admin', null);
    stored.get(created.id)!.revokedAt = new Date();
    await expect(sut.authenticate(created.key)).resolves.toBeNull();
    const other = await sut.create({ query: jest.fn() }, 'org-1', 'admin', null);
    const forged = other.key.slice(0, -2) + (other.key.endsWith('AA') ? 'BB' : 'AA');
    await expect(sut.authenticate(forged)).resolves.toBeNull();
    await expect(sut.authenticate('garbage')).resolves.toBeNull();
  });

  it("revoking another org's key is not_found; revoking twice records one event", async () => {
    const created = await sut.createBy(admin, 'org-1', 'admin', null);
    expect(audit.record).toHaveBeenLastCalledWith(
      { tx: true },
      expect.objectContaining({ action: 'api_key.created', actor: { type: 'api_key', id: 'k-admin' } }),
    );
    audit.record.mockClear();
    await expect(sut.revokeBy(admin, 'org-2', created.id)).rejects.toMatchObject({ code: 'not_found' });
    await expect(sut.revokeBy(admin, 'org-1', created.id)).resolves.toBeUndefined();
    await expect(sut.revokeBy(admin, 'org-1', created.id)).resolves.toBeUndefined();
    expect(audit.record).toHaveBeenCalledTimes(1);
    expect(audit.record).toHaveBeenCalledWith(
      { tx: true },
      expect.objectContaining({ action: 'api_key.revoked', target: { type: 'api_key', id: created.id } }),
    );
  });
});
