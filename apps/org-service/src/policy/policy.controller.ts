import { Body, Controller, Get, HttpCode, Param, Post, Put, UseGuards } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, Policy, PolicyAccepted, PolicyPreview, Rollout } from '../http/api-models';
import { CurrentPrincipal, RequireAccess } from '../auth/access.decorator';
import { ApiKeyGuard } from '../auth/api-key.guard';
import type { Principal } from '../auth/principal';
import { OrgParamsDto } from '../orgs/dto/create-org.dto';
import { PreviewPolicyDto, PutPolicyDto, RolloutParamsDto } from './dto/policy.dto';
import { PolicyPreviewService } from './policy-preview.service';
import { PolicyService } from './policy.service';

@ApiTags('mfa-policy')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('v1/orgs/:orgId')
export class PolicyController {
  constructor(
    private readonly policies: PolicyService,
    private readonly previews: PolicyPreviewService,
  ) {}

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

  @Post('mfa-policy/preview')
  @HttpCode(200)
  @RequireAccess('org-query')
  @ApiOperation({
    operationId: 'previewMfaPolicy',
    summary: 'What a policy would do to the members, changing nothing',
    description:
      'The same body as the PUT. Counts by state now and after (as if PUT now), per UTC day how many members would become ' +
      'non_compliant if nothing changes, and the 20 blocked soonest. Auditor keys may call it. docs/enforcement.md, "Policy preview".',
  })
  @ApiOkResponse({ type: PolicyPreview })
  @ApiErrors([400, 401, 403, 404, 413, 429, 503])
  preview(@Param() params: OrgParamsDto, @Body() body: PreviewPolicyDto) {
    return this.previews.preview(params.orgId, body);
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
