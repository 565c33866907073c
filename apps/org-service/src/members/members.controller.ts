import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequireAccess } from '../auth/access.decorator';
import { ApiKeyGuard } from '../auth/api-key.guard';
import type { Principal } from '../auth/principal';
import { OrgParamsDto } from '../orgs/dto/create-org.dto';
import { BulkMembersDto, ListMembersQueryDto, MemberParamsDto, NewMemberDto } from './dto/member.dto';
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
  @ApiCreatedResponse({ description: 'The member; 409 `conflict` when the email is already a member of the org.' })
  add(@CurrentPrincipal() principal: Principal, @Param() params: OrgParamsDto, @Body() body: NewMemberDto) {
    return this.members.add(principal, params.orgId, body);
  }

  @Post('bulk')
  @HttpCode(201)
  @RequireAccess('org-admin')
  @ApiCreatedResponse({ description: '`{created, existing}`: duplicates in the body and emails already in the org count as existing.' })
  bulkAdd(@CurrentPrincipal() principal: Principal, @Param() params: OrgParamsDto, @Body() body: BulkMembersDto) {
    return this.members.bulkAdd(principal, params.orgId, body.members);
  }

  @Get()
  @RequireAccess('org-read')
  @ApiOkResponse({ description: '`{items: [member], nextCursor}`; nextCursor is null on the last page.' })
  list(@Param() params: OrgParamsDto, @Query() query: ListMembersQueryDto) {
    return this.members.list(params.orgId, query);
  }

  @Get(':accountId')
  @RequireAccess('org-read')
  @ApiOkResponse({ description: 'The member with `devices`.' })
  @ApiServiceUnavailableResponse({ description: 'mfa-service did not answer, so the devices are unknown.' })
  get(@Param() params: MemberParamsDto) {
    return this.members.get(params.orgId, params.accountId);
  }

  @Delete(':accountId')
  @HttpCode(204)
  @RequireAccess('org-admin')
  @ApiNoContentResponse({ description: 'Removed.' })
  async remove(@CurrentPrincipal() principal: Principal, @Param() params: MemberParamsDto): Promise<void> {
    await this.members.remove(principal, params.orgId, params.accountId);
  }
}
