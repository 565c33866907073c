import { Body, Controller, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
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
  @ApiCreatedResponse({ description: 'The org and its first admin key; the key is shown only in this answer.' })
  create(@Body() body: CreateOrgDto) {
    return this.orgs.create(body.name);
  }

  @Get(':orgId')
  @RequireAccess('org-read')
  @ApiOkResponse({ description: 'The org with its current MFA policy and member counts by enforcement state.' })
  get(@Param() params: OrgParamsDto) {
    return this.orgs.get(params.orgId);
  }
}
