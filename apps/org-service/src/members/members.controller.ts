import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, BulkAdded, Member, MemberHistoryPage, MemberPage, MemberWithDevices } from '../http/api-models';
import { CurrentPrincipal, RequireAccess } from '../auth/access.decorator';
import { ApiKeyGuard } from '../auth/api-key.guard';
import type { Principal } from '../auth/principal';
import { OrgParamsDto } from '../orgs/dto/create-org.dto';
import { BulkMembersDto, ListMembersQueryDto, MemberHistoryQueryDto, MemberParamsDto, NewMemberDto } from './dto/member.dto';
import { MemberService } from './member.service';

@ApiTags('members')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('v1/orgs/:orgId/members')
export class MembersController {
  constructor(private readonly members: MemberService) {}

  @Post()
  @HttpCode(201)
  @RequireAccess('org-admin')
  @ApiOperation({ operationId: 'addMember', summary: 'Add a member' })
  @ApiCreatedResponse({ type: Member, description: 'The member, under the current policy from its first answer.' })
  @ApiErrors([400, 401, 403, 404, 409, 413], { 409: 'the email is already a member of the org' })
  add(@CurrentPrincipal() principal: Principal, @Param() params: OrgParamsDto, @Body() body: NewMemberDto) {
    return this.members.add(principal, params.orgId, body);
  }

  @Post('bulk')
  @HttpCode(201)
  @RequireAccess('org-admin')
  @ApiOperation({ operationId: 'bulkAddMembers', summary: 'Add up to 10,000 members in one call' })
  @ApiCreatedResponse({
    type: BulkAdded,
    description:
      '`{created, existing}`: duplicates in the body and emails already in the org count as existing. One bad row rejects the call, named by its index.',
  })
  @ApiErrors([400, 401, 403, 404, 413, 429], {
    413: 'the body is over 2 MiB',
    429: 'more than 2 bulk imports in flight on this org-service process (`Retry-After: 1`)',
  })
  bulkAdd(@CurrentPrincipal() principal: Principal, @Param() params: OrgParamsDto, @Body() body: BulkMembersDto) {
    return this.members.bulkAdd(principal, params.orgId, body.members);
  }

  @Get()
  @RequireAccess('org-read')
  @ApiOperation({ operationId: 'listMembers', summary: 'List members, optionally by enforcement state' })
  @ApiOkResponse({ type: MemberPage, description: '`{items: [member], nextCursor}`; nextCursor is null on the last page.' })
  @ApiErrors([400, 401, 403, 404])
  list(@Param() params: OrgParamsDto, @Query() query: ListMembersQueryDto) {
    return this.members.list(params.orgId, query);
  }

  @Get(':accountId')
  @RequireAccess('org-read')
  @ApiOperation({ operationId: 'getMember', summary: 'Get a member with its MFA devices' })
  @ApiOkResponse({ type: MemberWithDevices, description: 'The member with `devices`.' })
  @ApiErrors([400, 401, 403, 404, 503], { 503: 'mfa-service did not answer, so the devices are unknown' })
  get(@Param() params: MemberParamsDto) {
    return this.members.get(params.orgId, params.accountId);
  }

  @Get(':accountId/history')
  @RequireAccess('org-read')
  @ApiOperation({
    operationId: 'getMemberHistory',
    summary: "A member's enforcement history: every change of its state with the cause and the time, newest first",
  })
  @ApiOkResponse({
    type: MemberHistoryPage,
    description: '`{items: [{at, from, to, cause: {type, id?}, graceDeadline}], nextCursor}`; nextCursor is null on the last page.',
  })
  @ApiErrors([400, 401, 403, 404])
  history(@Param() params: MemberParamsDto, @Query() query: MemberHistoryQueryDto) {
    return this.members.history(params.orgId, params.accountId, query);
  }

  @Delete(':accountId')
  @HttpCode(204)
  @RequireAccess('org-admin')
  @ApiOperation({ operationId: 'removeMember', summary: 'Remove a member (its devices are retired, its session tokens die)' })
  @ApiNoContentResponse({ description: 'Removed.' })
  @ApiErrors([400, 401, 403, 404, 503])
  async remove(@CurrentPrincipal() principal: Principal, @Param() params: MemberParamsDto): Promise<void> {
    await this.members.remove(principal, params.orgId, params.accountId);
  }
}
