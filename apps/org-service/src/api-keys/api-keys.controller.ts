import { Body, Controller, Delete, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, ApiKeyCreated, ApiKeyIdentity } from '../http/api-models';
import { CurrentPrincipal, RequireAccess } from '../auth/access.decorator';
import { ApiKeyGuard } from '../auth/api-key.guard';
import type { Principal } from '../auth/principal';
import { OrgParamsDto } from '../orgs/dto/create-org.dto';
import { ApiKeyService } from './api-key.service';
import { ApiKeyParamsDto, CreateApiKeyDto } from './dto/create-api-key.dto';

@ApiTags('api-keys')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('v1/orgs/:orgId/api-keys')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeyService) {}

  @Post()
  @HttpCode(201)
  @RequireAccess('org-admin')
  @ApiOperation({ operationId: 'createApiKey', summary: 'Create an org API key (admin or auditor)' })
  @ApiCreatedResponse({ type: ApiKeyCreated, description: '`{id, key, role, label}`; the key is shown only in this answer.' })
  @ApiErrors([400, 401, 403, 404, 413])
  create(@CurrentPrincipal() principal: Principal, @Param() params: OrgParamsDto, @Body() body: CreateApiKeyDto) {
    return this.apiKeys.createBy(principal, params.orgId, body.role, body.label ?? null);
  }

  /** The calling key itself: what a console signing in with a key needs to know (its role). */
  @Get('current')
  @RequireAccess('org-read')
  @ApiOperation({ operationId: 'currentApiKey', summary: 'The key that made the request, with its role' })
  @ApiOkResponse({ type: ApiKeyIdentity, description: '`{id, orgId, role}` of the key that made the request.' })
  @ApiErrors([400, 401, 403, 404])
  current(@CurrentPrincipal() principal: Principal, @Param() params: OrgParamsDto): ApiKeyIdentity {
    return principal.kind === 'api_key'
      ? { id: principal.keyId, orgId: principal.orgId, role: principal.role }
      : { id: null, orgId: params.orgId, role: 'platform' };
  }

  @Delete(':keyId')
  @HttpCode(204)
  @RequireAccess('org-admin')
  @ApiOperation({ operationId: 'revokeApiKey', summary: 'Revoke an org API key' })
  @ApiNoContentResponse({ description: 'Revoked; the key stops working at once. Revoking it again answers 204 again.' })
  @ApiErrors([400, 401, 403, 404])
  async revoke(@CurrentPrincipal() principal: Principal, @Param() params: ApiKeyParamsDto): Promise<void> {
    await this.apiKeys.revokeBy(principal, params.orgId, params.keyId);
  }
}
