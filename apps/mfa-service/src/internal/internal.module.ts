import { Module } from '@nestjs/common';
import { LifecycleModule } from '../lifecycle/lifecycle.module';
import { PoliciesModule } from '../policies/policies.module';
import { InternalController } from './internal.controller';

/** The patterns only platform services call (policy push, admin reset, member removal, summaries). */
@Module({
  imports: [LifecycleModule, PoliciesModule],
  controllers: [InternalController],
})
export class InternalModule {}
