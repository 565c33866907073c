import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { BusValidationPipe } from '@mfa/bus';
import { InternalPatterns } from '@mfa/contracts';
import { GroupPolicyService } from '../enforcement/group-policy.service';
import {
  ApplyGroupPolicyDto,
  CreateGroupDto,
  GroupRefDto,
  ListGroupsDto,
  PolicyMethodsCheckDto,
  UpdateGroupMembersDto,
} from './dto/group-requests.dto';
import { GroupService } from './group.service';

/** The group patterns org-service calls; every request carries the org it is scoped to. */
@Controller()
export class GroupsBusController {
  constructor(
    private readonly groups: GroupService,
    private readonly groupPolicies: GroupPolicyService,
  ) {}

  @MessagePattern(InternalPatterns.AccountsGroupsCreate)
  create(@Payload(BusValidationPipe) req: CreateGroupDto) {
    return this.groups.create(req.orgId, req.name);
  }

  @MessagePattern(InternalPatterns.AccountsGroupsList)
  list(@Payload(BusValidationPipe) req: ListGroupsDto) {
    return this.groups.list(req);
  }

  @MessagePattern(InternalPatterns.AccountsGroupsGet)
  get(@Payload(BusValidationPipe) req: GroupRefDto) {
    return this.groups.get(req.orgId, req.groupId);
  }

  @MessagePattern(InternalPatterns.AccountsGroupsMembersUpdate)
  updateMembers(@Payload(BusValidationPipe) req: UpdateGroupMembersDto) {
    return this.groups.updateMembers(req);
  }

  @MessagePattern(InternalPatterns.AccountsGroupsDelete)
  delete(@Payload(BusValidationPipe) req: GroupRefDto) {
    return this.groups.delete(req.orgId, req.groupId);
  }

  @MessagePattern(InternalPatterns.AccountsPolicyMethodsCheck)
  checkMethods(@Payload(BusValidationPipe) req: PolicyMethodsCheckDto) {
    return this.groupPolicies.checkMethods(req);
  }

  @MessagePattern(InternalPatterns.AccountsGroupPolicyApply)
  applyPolicy(@Payload(BusValidationPipe) req: ApplyGroupPolicyDto) {
    return this.groupPolicies.apply(req);
  }
}
