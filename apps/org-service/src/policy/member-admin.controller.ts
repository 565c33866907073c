import { Body, Controller, Delete, HttpCode, Param, Put, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, Member } from '../http/api-models';
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
  @ApiOperation({ operationId: 'setExemption', summary: "Exempt a member from the org's MFA requirement until a time" })
  @ApiOkResponse({ type: Member, description: 'The member, `exempt` until `until` (unless compliant); survives policy changes.' })
  @ApiErrors([400, 401, 403, 404, 413], { 400: '`until` not in the future, or a bad field (named in `message`)' })
  setExemption(@Param() params: MemberParamsDto, @Body() body: SetExemptionDto, @CurrentPrincipal() principal: Principal) {
    return this.admin.setExemption(params.orgId, params.accountId, body, principal);
  }

  @Delete('exemption')
  @HttpCode(200)
  @RequireAccess('org-admin')
  @ApiOperation({ operationId: 'removeExemption', summary: "Remove a member's exemption" })
  @ApiOkResponse({ type: Member, description: 'The member without its exemption.' })
  @ApiErrors([400, 401, 403, 404])
  removeExemption(@Param() params: MemberParamsDto, @CurrentPrincipal() principal: Principal) {
    return this.admin.removeExemption(params.orgId, params.accountId, principal);
  }

  @Delete('mfa-devices/:serialNumber')
  @HttpCode(204)
  @RequireAccess('org-admin')
  @ApiOperation({ operationId: 'resetMfaDevice', summary: "Reset (remove) a member's lost MFA device" })
  @ApiNoContentResponse({ description: 'Admin reset of a lost device; the last one gives the member now + grace period to enroll again.' })
  @ApiErrors([400, 401, 403, 404, 503])
  async resetDevice(@Param() params: DeviceParamsDto, @CurrentPrincipal() principal: Principal): Promise<void> {
    await this.admin.resetDevice(params.orgId, params.accountId, params.serialNumber, principal);
  }
}
