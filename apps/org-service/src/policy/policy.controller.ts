import { Body, Controller, Get, HttpCode, Param, Put, UseGuards } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, Policy, PolicyAccepted, Rollout } from '../http/api-models';
import { CurrentPrincipal, RequireAccess } from '../auth/access.decorator';
import { ApiKeyGuard } from '../auth/api-key.guard';
import type { Principal } from '../auth/principal';
import { OrgParamsDto } from '../orgs/dto/create-org.dto';
import { PutPolicyDto, RolloutParamsDto } from './dto/policy.dto';
import { PolicyService } from './policy.service';

@ApiTags('mfa-policy')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('v1/orgs/:orgId')
export class PolicyController {
  constructor(private readonly policies: PolicyService) {}

  @Put('mfa-policy')
  @HttpCode(202)
  @RequireAccess('org-admin')
  @ApiOperation({ operationId: 'putMfaPolicy', summary: "Set the org's MFA policy (a new version)" })
  @ApiAcceptedResponse({
    type: PolicyAccepted,
    description: '`{policy, rollout}`: the new version applies to every member at once; the rollout materializes it.',
  })
  @ApiErrors([400, 401, 403, 404, 413])
  put(@Param() params: OrgParamsDto, @Body() body: PutPolicyDto, @CurrentPrincipal() principal: Principal) {
    return this.policies.put(params.orgId, body, principal);
  }

  @Get('mfa-policy')
  @RequireAccess('org-read')
  @ApiOperation({ operationId: 'getMfaPolicy', summary: "Get the org's current MFA policy" })
  @ApiOkResponse({ type: Policy, description: 'The current policy; version 0 (MFA off) before the first PUT.' })
  @ApiErrors([401, 403, 404])
  get(@Param() params: OrgParamsDto) {
    return this.policies.get(params.orgId);
  }

  @Get('rollouts/:rolloutId')
  @RequireAccess('org-read')
  @ApiOperation({ operationId: 'getRollout', summary: 'Get the progress of a policy rollout' })
  @ApiOkResponse({ type: Rollout, description: 'A rollout: queued, running, completed (applied == total).' })
  @ApiErrors([401, 403, 404])
  rollout(@Param() params: RolloutParamsDto) {
    return this.policies.rollout(params.orgId, params.rolloutId);
  }
}
