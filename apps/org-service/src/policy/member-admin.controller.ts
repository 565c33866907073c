import { Body, Controller, Delete, HttpCode, Param, Put, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequireAccess } from '../auth/access.decorator';
import { ApiKeyGuard } from '../auth/api-key.guard';
import type { Principal } from '../auth/principal';
import { MemberParamsDto } from '../members/dto/member.dto';
import { DeviceParamsDto, SetExemptionDto } from './dto/policy.dto';
import { MemberAdminService } from './member-admin.service';

@ApiTags('members')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('v1/orgs/:orgId/members/:accountId')
export class MemberAdminController {
  constructor(private readonly admin: MemberAdminService) {}

  @Put('exemption')
  @HttpCode(200)
  @RequireAccess('org-admin')
  @ApiOkResponse({ description: 'The member, `exempt` until `until` (unless compliant); survives policy changes.' })
  setExemption(@Param() params: MemberParamsDto, @Body() body: SetExemptionDto, @CurrentPrincipal() principal: Principal) {
    return this.admin.setExemption(params.orgId, params.accountId, body, principal);
  }

  @Delete('exemption')
  @HttpCode(200)
  @RequireAccess('org-admin')
  @ApiOkResponse({ description: 'The member without its exemption.' })
  removeExemption(@Param() params: MemberParamsDto, @CurrentPrincipal() principal: Principal) {
    return this.admin.removeExemption(params.orgId, params.accountId, principal);
  }

  @Delete('mfa-devices/:serialNumber')
  @HttpCode(204)
  @RequireAccess('org-admin')
  @ApiNoContentResponse({ description: 'Admin reset of a lost device; the last one gives the member now + grace period to enroll again.' })
  async resetDevice(@Param() params: DeviceParamsDto, @CurrentPrincipal() principal: Principal): Promise<void> {
    await this.admin.resetDevice(params.orgId, params.accountId, params.serialNumber, principal);
  }
}
