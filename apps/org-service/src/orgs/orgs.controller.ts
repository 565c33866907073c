import { Body, Controller, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, Org, OrgCreated } from '../http/api-models';
import { RequireAccess } from '../auth/access.decorator';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { CreateOrgDto, OrgParamsDto } from './dto/create-org.dto';
import { OrgService } from './org.service';

@ApiTags('orgs')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('v1/orgs')
export class OrgsController {
  constructor(private readonly orgs: OrgService) {}

  @Post()
  @HttpCode(201)
  @RequireAccess('platform')
  @ApiOperation({ operationId: 'createOrg', summary: 'Create an org (platform key)' })
  @ApiCreatedResponse({ type: OrgCreated, description: 'The org and its first admin key; the key is shown only in this answer.' })
  @ApiErrors([400, 401, 403, 413], { 403: 'an org key: only the platform key creates orgs' })
  create(@Body() body: CreateOrgDto) {
    return this.orgs.create(body.name);
  }

  @Get(':orgId')
  @RequireAccess('org-read')
  @ApiOperation({ operationId: 'getOrg', summary: 'Get the org, its policy and member counts' })
  @ApiOkResponse({ type: Org, description: 'The org with its current MFA policy and member counts by enforcement state.' })
  @ApiErrors([401, 403, 404])
  get(@Param() params: OrgParamsDto) {
    return this.orgs.get(params.orgId);
  }
}
