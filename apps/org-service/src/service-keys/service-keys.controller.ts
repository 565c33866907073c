import { Body, Controller, Delete, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, ServiceKeyCreated, ServiceKeyList } from '../http/api-models';
import { CurrentPrincipal, RequireAccess } from '../auth/access.decorator';
import { ApiKeyGuard } from '../auth/api-key.guard';
import type { Principal } from '../auth/principal';
import { OrgParamsDto } from '../orgs/dto/create-org.dto';
import { CreateServiceKeyDto, ServiceKeyParamsDto } from './service-keys.dto';
import { ServiceKeysService } from './service-keys.service';

@ApiTags('service-keys')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('v1/orgs/:orgId/service-keys')
export class ServiceKeysController {
  constructor(private readonly keys: ServiceKeysService) {}

  @Post()
  @HttpCode(201)
  @RequireAccess('org-admin')
  @ApiOperation({ operationId: 'createServiceKey', summary: "Create a member service's bus key" })
  @ApiCreatedResponse({
    type: ServiceKeyCreated,
    description: '`{id, name, scopes, secret, createdAt}`; the secret is shown only in this answer.',
  })
  @ApiErrors([400, 401, 403, 404, 409, 413], { 409: 'the org already has 100 keys in force' })
  create(@CurrentPrincipal() principal: Principal, @Param() params: OrgParamsDto, @Body() body: CreateServiceKeyDto) {
    return this.keys.create(principal, params.orgId, body.name, body.scopes);
  }

  @Get()
  @RequireAccess('org-read')
  @ApiOperation({ operationId: 'listServiceKeys', summary: "List the org's service keys (without secrets)" })
  @ApiOkResponse({ type: ServiceKeyList, description: '`{items: [{id, name, scopes, createdAt, lastUsedAt, revokedAt}]}`' })
  @ApiErrors([401, 403, 404])
  list(@Param() params: OrgParamsDto) {
    return this.keys.list(params.orgId);
  }

  @Delete(':keyId')
  @HttpCode(204)
  @RequireAccess('org-admin')
  @ApiOperation({ operationId: 'revokeServiceKey', summary: 'Revoke a service key' })
  @ApiNoContentResponse({ description: 'Revoked; entries signed with it are refused within 5 s.' })
  @ApiErrors([400, 401, 403, 404])
  async revoke(@CurrentPrincipal() principal: Principal, @Param() params: ServiceKeyParamsDto): Promise<void> {
    await this.keys.revoke(principal, params.orgId, params.keyId);
  }
}
