import { Body, Controller, Delete, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiTags } from '@nestjs/swagger';
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
  @ApiCreatedResponse({ description: '`{id, key, role, label}`; the key is shown only in this answer.' })
  create(@CurrentPrincipal() principal: Principal, @Param() params: OrgParamsDto, @Body() body: CreateApiKeyDto) {
    return this.apiKeys.createBy(principal, params.orgId, body.role, body.label ?? null);
  }

  @Delete(':keyId')
  @HttpCode(204)
  @RequireAccess('org-admin')
  @ApiNoContentResponse({ description: 'Revoked; the key stops working at once.' })
  async revoke(@CurrentPrincipal() principal: Principal, @Param() params: ApiKeyParamsDto): Promise<void> {
    await this.apiKeys.revokeBy(principal, params.orgId, params.keyId);
  }
}
