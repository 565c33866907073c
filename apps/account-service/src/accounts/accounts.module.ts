import { Module } from '@nestjs/common';
import { EnforcementModule } from '../enforcement/enforcement.module';
import { AccountRepository } from './account.repository';
import { AccountsBusController } from './accounts.bus-controller';
import { MemberService } from './member.service';
import { MembersBusController } from './members.bus-controller';

@Module({
  imports: [EnforcementModule],
  controllers: [AccountsBusController, MembersBusController],
  providers: [AccountRepository, MemberService],
  exports: [AccountRepository, MemberService],
})
export class AccountsModule {}
