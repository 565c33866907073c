import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { ListAuditEventsQuery } from '../audit/dto/list-audit-events.query';
import { ListGroupsQueryDto } from '../groups/dto/group.dto';
import { ListMembersQueryDto, MemberHistoryQueryDto } from '../members/dto/member.dto';
import { pageQuery } from './page-query';

/** The properties that fail, as the global ValidationPipe (whitelist, transform) would see them. */
const failing = (cls: new () => object, query: Record<string, string>) =>
  validateSync(plainToInstance(cls, query), { whitelist: true, forbidNonWhitelisted: true }).map((e) => e.property);

describe(pageQuery.name, () => {
  it.each([
    [ListGroupsQueryDto, 200],
    [MemberHistoryQueryDto, 200],
    [ListAuditEventsQuery, 512],
    [ListMembersQueryDto, 1400],
  ])('%p: limit 1..1000 (default 100) and a cursor of at most %p characters', (cls, cursorMax) => {
    expect(plainToInstance(cls, {}).limit).toBe(100);
    expect(plainToInstance(cls, { limit: '1000' }).limit).toBe(1000);
    expect(failing(cls, { limit: '1000', cursor: 'A'.repeat(cursorMax) })).toEqual([]);
    expect(failing(cls, { cursor: 'A'.repeat(cursorMax + 1) })).toEqual(['cursor']);
    expect(failing(cls, { limit: '0' })).toEqual(['limit']);
    expect(failing(cls, { limit: '1001' })).toEqual(['limit']);
    expect(failing(cls, { limit: '2.5' })).toEqual(['limit']);
  });

  it("keeps each subclass's own fields and the factory's bounds apart", () => {
    expect(failing(ListAuditEventsQuery, { action: 'nope' })).toEqual(['action']);
    expect(failing(ListMembersQueryDto, { state: 'nope', email: '' })).toEqual(['state', 'email']);
    expect(failing(ListGroupsQueryDto, { state: 'pending' })).toEqual(['state']); // not a field of the groups list
  });
});
