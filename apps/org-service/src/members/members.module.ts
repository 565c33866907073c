import { Module } from '@nestjs/common';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { MemberService } from './member.service';
import { MembersController } from './members.controller';

@Module({
  imports: [ApiKeysModule],
  controllers: [MembersController],
  providers: [MemberService],
  exports: [MemberService],
})
export class MembersModule {}
