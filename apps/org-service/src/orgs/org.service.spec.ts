import { AppError, ErrorCodes } from '@mfa/contracts';
import type { Bus } from '@mfa/bus';
import type { ApiKeyService } from '../api-keys/api-key.service';
import type { AuditService } from '../audit/audit.service';
import type { OrgRepository } from './org.repository';
import { OrgService } from './org.service';

describe(OrgService.name, () => {
  const org = { id: 'org-1', name: 'Acme', createdAt: new Date('2026-01-01T00:00:00Z') };
  const manager = { tx: true };
  const repo = {
    transaction: jest.fn(async (work: (m: unknown) => unknown) => work(manager)),
    insert: jest.fn(async () => org),
    findById: jest.fn(async (id: string) => (id === org.id ? org : null)),
  };
  const apiKeys = { create: jest.fn(async () => ({ id: 'k1', key: 'mfak_secret', role: 'admin', label: 'initial admin key' })) };
  const bus = { send: jest.fn() };
  const audit = { record: jest.fn() };
  const sut = new OrgService(
    repo as unknown as OrgRepository,
    apiKeys as unknown as ApiKeyService,
    bus as unknown as Bus,
    audit as unknown as AuditService,
  );
  const stats = { total: 3, byState: { not_required: 3, pending: 0, compliant: 0, non_compliant: 0, exempt: 0 } };

  beforeEach(() => bus.send.mockReset());

  it('creates the org and its first admin key in one transaction', async () => {
    await expect(sut.create('Acme')).resolves.toEqual({
      id: 'org-1',
      name: 'Acme',
      createdAt: '2026-01-01T00:00:00.000Z',
      adminKey: { id: 'k1', key: 'mfak_secret', role: 'admin' },
    });
    expect(repo.insert).toHaveBeenCalledWith(manager, 'Acme');
    expect(apiKeys.create).toHaveBeenCalledWith(manager, 'org-1', 'admin', expect.any(String));
    expect(audit.record.mock.calls.map(([m, e]) => [e.action, e.actor.type, m])).toEqual([
      ['org.created', 'platform', manager],
      ['api_key.created', 'platform', manager],
    ]);
  });

  it('answers the default policy while no one serves the policy pattern', async () => {
    bus.send.mockImplementation(async (pattern: string) => {
      if (pattern === 'accounts.internal.policy.get') throw new AppError(ErrorCodes.UnknownPattern, 'no handler');
      return stats;
    });
    const view = await sut.get('org-1');
    expect(view.policy).toEqual({
      orgId: 'org-1',
      version: 0,
      requireMfa: false,
      gracePeriodHours: 0,
      allowedMethods: ['totp', 'sms'],
      maxMfaAgeSeconds: null,
      secureMethodsOnly: false,
      conditions: [],
      updatedAt: null,
    });
    expect(view.members).toEqual(stats);
  });

  it('does not invent a default policy when account-service is slow', async () => {
    bus.send.mockRejectedValue(new AppError(ErrorCodes.Timeout, 'no reply'));
    await expect(sut.get('org-1')).rejects.toMatchObject({ code: 'timeout' });
  });

  it('is not_found for an unknown org', async () => {
    await expect(sut.get('nope')).rejects.toMatchObject({ code: 'not_found' });
  });
});
