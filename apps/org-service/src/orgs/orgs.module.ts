import { Module } from '@nestjs/common';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { OrgRepository } from './org.repository';
import { OrgService } from './org.service';
import { OrgsController } from './orgs.controller';

@Module({
  imports: [ApiKeysModule],
  controllers: [OrgsController],
  providers: [OrgRepository, OrgService],
  exports: [OrgService, OrgRepository],
})
export class OrgsModule {}
