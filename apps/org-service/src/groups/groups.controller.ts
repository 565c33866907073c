import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, UseGuards } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiErrors, Group, GroupPage, GroupPolicyAccepted } from '../http/api-models';
import { CurrentPrincipal, RequireAccess } from '../auth/access.decorator';
import { ApiKeyGuard } from '../auth/api-key.guard';
import type { Principal } from '../auth/principal';
import { OrgParamsDto } from '../orgs/dto/create-org.dto';
import { PutPolicyDto } from '../policy/dto/policy.dto';
import { PolicyService } from '../policy/policy.service';
import { CreateGroupDto, GroupParamsDto, ListGroupsQueryDto, UpdateGroupMembersDto } from './dto/group.dto';
import { GroupService } from './group.service';

@ApiTags('groups')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('v1/orgs/:orgId/groups')
export class GroupsController {
  constructor(
    private readonly groups: GroupService,
    private readonly policies: PolicyService,
  ) {}

  @Post()
  @HttpCode(201)
  @RequireAccess('org-admin')
  @ApiOperation({ operationId: 'createGroup', summary: 'Create a group of members (at most 1,000 per org)' })
  @ApiCreatedResponse({ type: Group, description: 'The group, empty, without a policy.' })
  @ApiErrors([400, 401, 403, 404, 409, 413], { 409: 'the name is taken in the org, or the org has 1,000 groups already' })
  create(@CurrentPrincipal() principal: Principal, @Param() params: OrgParamsDto, @Body() body: CreateGroupDto) {
    return this.groups.create(principal, params.orgId, body.name);
  }

  @Get()
  @RequireAccess('org-read')
  @ApiOperation({ operationId: 'listGroups', summary: "List the org's groups" })
  @ApiOkResponse({ type: GroupPage, description: '`{items: [group], nextCursor}`; nextCursor is null on the last page.' })
  @ApiErrors([400, 401, 403, 404])
  list(@Param() params: OrgParamsDto, @Query() query: ListGroupsQueryDto) {
    return this.groups.list(params.orgId, query);
  }

  @Put(':groupId/members')
  @RequireAccess('org-admin')
  @ApiOperation({ operationId: 'updateGroupMembers', summary: 'Add and remove members of a group (at most 10,000 ids in all)' })
  @ApiOkResponse({ type: Group, description: "The group after the change; the members' effective policy changed at once." })
  @ApiErrors([400, 401, 403, 404, 413], { 400: 'an id to add is not a member of the org, or is also in remove' })
  updateMembers(@CurrentPrincipal() principal: Principal, @Param() params: GroupParamsDto, @Body() body: UpdateGroupMembersDto) {
    return this.groups.updateMembers(principal, params.orgId, params.groupId, body);
  }

  @Put(':groupId/mfa-policy')
  @HttpCode(202)
  @RequireAccess('org-admin')
  @ApiOperation({ operationId: 'putGroupMfaPolicy', summary: "Set a group's MFA policy (a new version of the group's)" })
  @ApiAcceptedResponse({
    type: GroupPolicyAccepted,
    description: "`{policy, rollout}`: applies to every member of the group at once; the rollout materializes it on the group's members.",
  })
  @ApiErrors([400, 401, 403, 404, 413], { 400: 'also when some member would be left with no allowed method' })
  putPolicy(@CurrentPrincipal() principal: Principal, @Param() params: GroupParamsDto, @Body() body: PutPolicyDto) {
    return this.policies.putGroup(params.orgId, params.groupId, body, principal);
  }

  @Delete(':groupId')
  @HttpCode(204)
  @RequireAccess('org-admin')
  @ApiOperation({ operationId: 'deleteGroup', summary: 'Delete a group (its policy stops applying at once)' })
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiErrors([400, 401, 403, 404])
  async delete(@CurrentPrincipal() principal: Principal, @Param() params: GroupParamsDto): Promise<void> {
    await this.groups.delete(principal, params.orgId, params.groupId);
  }
}
