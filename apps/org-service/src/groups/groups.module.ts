import { Module } from '@nestjs/common';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { PolicyModule } from '../policy/policy.module';
import { GroupService } from './group.service';
import { GroupsController } from './groups.controller';

/** Groups of members and their policies (versions and rollouts through the policy module). */
@Module({
  imports: [ApiKeysModule, PolicyModule],
  controllers: [GroupsController],
  providers: [GroupService],
})
export class GroupsModule {}
