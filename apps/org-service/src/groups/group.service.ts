import { Injectable } from '@nestjs/common';
import { AppError, type Group, InternalPatterns, MAX_GROUP_MEMBER_CHANGES, type Page } from '@mfa/contracts';
import { Bus } from '@mfa/bus';
import { actorOf, AuditService } from '../audit/audit.service';
import type { Principal } from '../auth/principal';
import type { ListGroupsQueryDto, UpdateGroupMembersDto } from './dto/group.dto';

/** Up to 10,000 ids in one set-based transaction: more than a point read. */
const MEMBERS_TIMEOUT_MS = 30_000;

/**
 * Groups live in account-service (with the memberships the effective policy reads); org-service
 * reaches them over the bus and writes the audit events once the change succeeded.
 */
@Injectable()
export class GroupService {
  constructor(
    private readonly bus: Bus,
    private readonly audit: AuditService,
  ) {}

  async create(principal: Principal, orgId: string, name: string): Promise<Group> {
    const group = await this.bus.send(InternalPatterns.AccountsGroupsCreate, { orgId, name });
    await this.audit.recordNow({
      orgId,
      action: 'group.created',
      actor: actorOf(principal),
      target: { type: 'group', id: group.id },
      details: { name },
    });
    return group;
  }

  list(orgId: string, query: ListGroupsQueryDto): Promise<Page<Group>> {
    return this.bus.send(InternalPatterns.AccountsGroupsList, {
      orgId,
      limit: query.limit,
      ...(query.cursor ? { cursor: query.cursor } : {}),
    });
  }

  /** One audit event per call, with the counts asked (not one per id). */
  async updateMembers(principal: Principal, orgId: string, groupId: string, body: UpdateGroupMembersDto): Promise<Group> {
    const add = body.add ?? [];
    const remove = body.remove ?? [];
    if (add.length + remove.length > MAX_GROUP_MEMBER_CHANGES) {
      const message = `add and remove: at most ${MAX_GROUP_MEMBER_CHANGES} ids in all`;
      throw AppError.validation(message, [{ field: 'add', messages: [message] }]);
    }
    const group = await this.bus.send(
      InternalPatterns.AccountsGroupsMembersUpdate,
      { orgId, groupId, add, remove },
      { timeoutMs: MEMBERS_TIMEOUT_MS },
    );
    await this.audit.recordNow({
      orgId,
      action: 'group.members_changed',
      actor: actorOf(principal),
      target: { type: 'group', id: groupId },
      details: { add: add.length, remove: remove.length, memberCount: group.memberCount },
    });
    return group;
  }

  async delete(principal: Principal, orgId: string, groupId: string): Promise<void> {
    await this.bus.send(InternalPatterns.AccountsGroupsDelete, { orgId, groupId }, { timeoutMs: MEMBERS_TIMEOUT_MS });
    await this.audit.recordNow({ orgId, action: 'group.deleted', actor: actorOf(principal), target: { type: 'group', id: groupId } });
  }
}
