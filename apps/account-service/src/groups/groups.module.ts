import { Module } from '@nestjs/common';
import { EnforcementModule } from '../enforcement/enforcement.module';
import { GroupRepository } from './group.repository';
import { GroupService } from './group.service';
import { GroupsBusController } from './groups.bus-controller';

/** Groups of members and their policies (the policies' rule and rollouts live in enforcement/). */
@Module({
  imports: [EnforcementModule],
  controllers: [GroupsBusController],
  providers: [GroupRepository, GroupService],
})
export class GroupsModule {}
