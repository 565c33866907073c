import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { DevicesModule } from '../devices/devices.module';
import { MethodsModule } from '../methods/methods.module';
import { PoliciesModule } from '../policies/policies.module';
import { TokensModule } from '../tokens/tokens.module';
import { VerificationModule } from '../verification/verification.module';
import { DeviceEnrollmentService } from './device-enrollment.service';
import { DevicesController } from './devices.controller';
import { DevicesService } from './devices.service';

/**
 * A device's life: create, enable, resync, list, deactivate, admin reset, account removal.
 * What differs by type is asked of MethodRegistry. Exports DevicesService for internal/.
 */
@Module({
  imports: [AccountsModule, DevicesModule, MethodsModule, PoliciesModule, TokensModule, VerificationModule],
  controllers: [DevicesController],
  providers: [DeviceEnrollmentService, DevicesService],
  exports: [DevicesService],
})
export class LifecycleModule {}
