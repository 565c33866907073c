import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { DevicesModule } from '../devices/devices.module';
import { MethodsModule } from '../methods/methods.module';
import { PoliciesModule } from '../policies/policies.module';
import { VerificationModule } from '../verification/verification.module';
import { DiagnoseController } from './diagnose.controller';
import { DiagnoseService } from './diagnose.service';

/** mfa.devices.diagnose: which troubleshooting tip applies to a rejected code. */
@Module({
  imports: [AccountsModule, DevicesModule, MethodsModule, PoliciesModule, VerificationModule],
  controllers: [DiagnoseController],
  providers: [DiagnoseService],
})
export class DiagnoseModule {}
