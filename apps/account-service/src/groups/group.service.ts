import { Injectable } from '@nestjs/common';
import {
  AppError,
  ErrorCodes,
  type Group,
  Jobs,
  MAX_GROUP_MEMBER_CHANGES,
  MAX_GROUPS_PER_ORG,
  type Page,
  type UpdateGroupMembersRequest,
} from '@mfa/contracts';
import { JobQueues } from '@mfa/bus';
import { Clock } from '@mfa/clock';
import { intersectMethods } from '../enforcement/effective-enforcement';
import { GroupPolicyRepository, toGroupPolicyState, toWireGroupPolicy } from '../enforcement/group-policy.repository';
import { OrgPolicyService } from '../enforcement/org-policy.service';
import { SnapshotRefreshRepository } from '../enforcement/rollout-materializer.repository';
import type { ListGroupsDto } from './dto/group-requests.dto';
import { decodeGroupCursor, encodeGroupCursor } from './group-cursor';
import { type GroupRow, GroupRepository } from './group.repository';

function toGroup(row: GroupRow): Group {
  return {
    id: row.id,
    orgId: row.org_id,
    name: row.name,
    memberCount: row.member_count,
    policy: row.policy ? toWireGroupPolicy(toGroupPolicyState(row.org_id, row.policy)) : null,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

/**
 * Groups of an org's members (docs/enforcement.md, "Groups"). A membership change or a delete
 * takes effect at once (the effective policy is computed at read time); in the same transaction
 * the snapshot columns of the members concerned are rewritten, set-based, and members who became
 * required get the policy notice.
 */
@Injectable()
export class GroupService {
  constructor(
    private readonly groups: GroupRepository,
    private readonly groupPolicies: GroupPolicyRepository,
    private readonly snapshots: SnapshotRefreshRepository,
    private readonly queues: JobQueues,
    private readonly clock: Clock,
    private readonly orgPolicies: OrgPolicyService,
  ) {}

  async create(orgId: string, name: string): Promise<Group> {
    const row = await this.groups.create(orgId, name, MAX_GROUPS_PER_ORG);
    if (row === 'limit') throw new AppError(ErrorCodes.Conflict, `an organization has at most ${MAX_GROUPS_PER_ORG} groups`);
    if (row === 'exists') throw new AppError(ErrorCodes.Conflict, 'a group with this name already exists in the organization');
    return toGroup(row);
  }

  async list(req: ListGroupsDto): Promise<Page<Group>> {
    const after = req.cursor ? decodeGroupCursor(req.cursor) : null;
    const rows = await this.groups.page(req.orgId, after, req.limit + 1);
    const items = rows.slice(0, req.limit).map(toGroup);
    return { items, nextCursor: rows.length > req.limit ? encodeGroupCursor(items[items.length - 1].id) : null };
  }

  async get(orgId: string, groupId: string): Promise<Group> {
    const row = await this.groups.find(orgId, groupId);
    if (!row) throw AppError.notFound('group');
    return toGroup(row);
  }

  /**
   * `add` ids must all be members of the org (any other id refuses the whole call, naming up to
   * 10: another org's account is never added); `remove` ids not in the group are ignored.
   */
  async updateMembers(req: UpdateGroupMembersRequest): Promise<Group> {
    const add = [...new Set(req.add ?? [])];
    const remove = [...new Set(req.remove ?? [])];
    if (add.length + remove.length > MAX_GROUP_MEMBER_CHANGES) {
      const message = `add and remove: at most ${MAX_GROUP_MEMBER_CHANGES} ids in all`;
      throw AppError.validation(message, [{ field: 'add', messages: [message] }]);
    }
    const both = add.filter((id) => remove.includes(id));
    if (both.length > 0) {
      const message = `an id is in both add and remove: ${both.slice(0, 10).join(', ')}`;
      throw AppError.validation(message, [{ field: 'remove', messages: [message] }]);
    }
    const { newly, version } = await this.groups.transaction(async (tx) => {
      const group = await this.groups.lock(tx, req.orgId, req.groupId);
      if (!group) throw AppError.notFound('group');
      const unknown = add.length > 0 ? await this.groups.notInOrg(tx, req.orgId, add) : [];
      if (unknown.length > 0) {
        const message = `add: not members of the organization: ${unknown.join(', ')}`;
        throw AppError.validation(message, [{ field: 'add', messages: [message] }]);
      }
      const policy = group.hasPolicy ? await this.groupPolicies.get(req.orgId, req.groupId) : null;
      if (policy && add.length > 0) {
        const groups = await this.groups.clashingGroupsOf(tx, req.groupId, add, policy.allowedMethods);
        const clashes = groups.length > 0 ? [`the policies of groups some of these members are in: ${groups.join(', ')}`] : [];
        // the org's policy may have changed since the group's was checked against it (the org's PUT
        // only checks group policies that apply to someone): adding would leave the new members nothing
        const org = await this.orgPolicies.get(req.orgId);
        if (intersectMethods(org.allowedMethods, policy.allowedMethods).length === 0) clashes.unshift('the org policy');
        if (clashes.length > 0) {
          const message = `add: this group's policy shares no allowed method with ${clashes.join(' and with ')}`;
          throw AppError.validation(message, [{ field: 'add', messages: [message] }]);
        }
      }
      // the history's membership intervals: written by the same statements, at the injected clock's time
      const at = this.clock.now();
      const added = await this.groups.addMembers(tx, req.orgId, req.groupId, add, at);
      const removed = await this.groups.removeMembers(tx, req.orgId, req.groupId, remove, at);
      if (!group.hasPolicy || added.length + removed.length === 0) return { newly: [] as string[], version: 0 };
      const refreshed = await this.snapshots.accounts(tx, req.orgId, [...added, ...removed]);
      return { newly: refreshed.newlyRequired, version: policy?.version ?? 0 };
    });
    if (newly.length > 0) {
      await this.queues.add(Jobs.PolicyRequiredNotice, {
        orgId: req.orgId,
        groupId: req.groupId,
        policyVersion: version,
        accountIds: newly,
      });
    }
    return this.get(req.orgId, req.groupId);
  }

  /** One transaction: the policy goes, the members' snapshots follow, then the group and its memberships. */
  async delete(orgId: string, groupId: string): Promise<{ deleted: true }> {
    await this.groups.transaction(async (tx) => {
      const group = await this.groups.lock(tx, orgId, groupId);
      if (!group) throw AppError.notFound('group');
      if (group.hasPolicy) {
        await this.groups.deletePolicy(tx, groupId);
        await this.groupPolicies.refreshOrgFlag(tx, orgId);
        await this.snapshots.wholeGroup(tx, orgId, groupId);
      }
      await this.groups.delete(tx, orgId, groupId, this.clock.now());
    });
    return { deleted: true };
  }
}
