import type { AccountEntity } from '../database/entities/account.entity';
import type { AccountRepository } from './account.repository';
import { decodeMemberCursor, encodeMemberCursor } from './member-cursor';
import type { MemberEnforcementService } from '../enforcement/member-enforcement.service';
import { toMember } from './member.mapper';
import { MemberService } from './member.service';

const row = (n: number): AccountEntity => ({
  orgId: 'o1',
  id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  email: `m${n}@x.io`,
  displayName: null,
  externalId: null,
  createdAt: new Date('2026-01-01T00:00:00Z'),
});

const member = (n: number) => ({ id: row(n).id, orgId: 'o1', email: row(n).email });

describe(MemberService.name, () => {
  const repo = { insertMany: jest.fn(), insertOne: jest.fn(), deleteInOrg: jest.fn() };
  const enforcement = { page: jest.fn(), find: jest.fn(), ofNewMember: jest.fn(), stats: jest.fn() };
  const sut = new MemberService(repo as unknown as AccountRepository, enforcement as unknown as MemberEnforcementService);

  it('asks for one row more than the page and hands out a cursor only when more follow', async () => {
    enforcement.page.mockResolvedValueOnce([member(1), member(2), member(3)]);
    const page = await sut.list({ orgId: 'o1', limit: 2 });
    expect(enforcement.page).toHaveBeenCalledWith('o1', { afterId: undefined, limit: 3, state: undefined });
    expect(page.items.map((m) => m.email)).toEqual(['m1@x.io', 'm2@x.io']);
    expect(decodeMemberCursor(page.nextCursor!)).toBe(row(2).id);

    enforcement.page.mockResolvedValueOnce([member(3)]);
    const last = await sut.list({ orgId: 'o1', limit: 2, cursor: page.nextCursor! });
    expect(enforcement.page).toHaveBeenLastCalledWith('o1', expect.objectContaining({ afterId: row(2).id }));
    expect(last.nextCursor).toBeNull();
  });

  it('counts skipped rows as existing', async () => {
    repo.insertMany.mockResolvedValueOnce(7);
    await expect(
      sut.bulkCreate(
        'o1',
        Array.from({ length: 10 }, (_, i) => ({ email: `x${i}@x.io` })),
      ),
    ).resolves.toEqual({ created: 7, existing: 3 });
  });

  it('is conflict for a duplicate email and not_found for a missing member', async () => {
    repo.insertOne.mockResolvedValueOnce(null);
    await expect(sut.create('o1', { email: 'a@b.io' })).rejects.toMatchObject({ code: 'conflict' });
    enforcement.find.mockResolvedValueOnce(null);
    await expect(sut.getInOrg('o1', row(1).id)).rejects.toMatchObject({ code: 'not_found' });
    repo.deleteInOrg.mockResolvedValueOnce(false);
    await expect(sut.remove('o1', row(1).id)).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe(toMember.name, () => {
  it('maps a row with the not_required enforcement by default', () => {
    expect(toMember(row(7))).toEqual({
      id: row(7).id,
      orgId: 'o1',
      email: 'm7@x.io',
      displayName: null,
      externalId: null,
      createdAt: '2026-01-01T00:00:00.000Z',
      enforcement: { state: 'not_required', policyVersion: 0, requiredSince: null, graceDeadline: null, exemptUntil: null },
    });
  });
});

describe('member cursor', () => {
  it('round-trips and refuses anything else', () => {
    const id = row(5).id;
    expect(decodeMemberCursor(encodeMemberCursor(id))).toBe(id);
    for (const bad of ['', 'garbage', Buffer.from('m1:not-a-uuid').toString('base64url'), Buffer.from(id).toString('base64url')]) {
      expect(() => decodeMemberCursor(bad)).toThrow(expect.objectContaining({ code: 'validation_failed' }));
    }
  });
});
