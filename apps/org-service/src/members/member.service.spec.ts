import { AppError, ErrorCodes } from '@mfa/contracts';
import type { Bus } from '@mfa/bus';
import type { AuditService } from '../audit/audit.service';
import type { OrgServiceEnv } from '../config/org-service.env';
import { MemberService } from './member.service';

describe(MemberService.name, () => {
  const member = { id: 'a1', orgId: 'o1', email: 'a@b.io' };
  const bus = { send: jest.fn() };
  const audit = { recordNow: jest.fn() };
  const sut = new MemberService(bus as unknown as Bus, { BUS_TIMEOUT_MS: 5000 } as OrgServiceEnv, audit as unknown as AuditService);
  const admin = { kind: 'api_key' as const, keyId: 'k1', orgId: 'o1', role: 'admin' as const };

  beforeEach(() => {
    bus.send.mockReset();
    audit.recordNow.mockReset();
  });

  it('joins the member with its devices', async () => {
    bus.send.mockResolvedValueOnce(member).mockResolvedValueOnce({ items: [{ serialNumber: 's1' }] });
    await expect(sut.get('o1', 'a1')).resolves.toEqual({ ...member, devices: [{ serialNumber: 's1' }] });
    expect(bus.send).toHaveBeenNthCalledWith(1, 'accounts.internal.members.get', { orgId: 'o1', accountId: 'a1' });
    expect(bus.send).toHaveBeenNthCalledWith(2, 'mfa.devices.list', { accountId: 'a1' });
  });

  it('never asks mfa-service about a member that is not in the org', async () => {
    bus.send.mockRejectedValueOnce(AppError.notFound('member'));
    await expect(sut.get('o1', 'a1')).rejects.toMatchObject({ code: 'not_found' });
    expect(bus.send).toHaveBeenCalledTimes(1);
  });

  it.each([ErrorCodes.Timeout, ErrorCodes.Unavailable, ErrorCodes.UnknownPattern])(
    'answers 503 unavailable when mfa-service fails with %s',
    async (code) => {
      bus.send.mockResolvedValueOnce(member).mockRejectedValueOnce(new AppError(code, 'x'));
      await expect(sut.get('o1', 'a1')).rejects.toMatchObject({ code: 'unavailable' });
    },
  );

  it('gives a bulk import more time than a point read, and records one event per call', async () => {
    bus.send.mockResolvedValue({ created: 1, existing: 1 });
    await sut.bulkAdd(admin, 'o1', [{ email: 'a@b.io' }, { email: 'b@b.io' }]);
    expect(bus.send.mock.calls[0][2].timeoutMs).toBeGreaterThanOrEqual(60_000);
    expect(audit.recordNow).toHaveBeenCalledTimes(1);
    expect(audit.recordNow).toHaveBeenCalledWith(
      expect.objectContaining({
        action: 'members.bulk_added',
        actor: { type: 'api_key', id: 'k1' },
        details: { rows: 2, created: 1, existing: 1 },
      }),
    );
  });

  it('records no event when account-service refused the change', async () => {
    bus.send.mockRejectedValueOnce(new AppError(ErrorCodes.Conflict, 'dup'));
    await expect(sut.add(admin, 'o1', { email: 'a@b.io' })).rejects.toMatchObject({ code: 'conflict' });
    expect(audit.recordNow).not.toHaveBeenCalled();
  });
});
