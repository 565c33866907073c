import { Module } from '@nestjs/common';
import { DevicesModule } from '../../devices/devices.module';
import { VerificationModule } from '../../verification/verification.module';
import { TotpMethod } from './totp.method';

/** The TOTP device method; MethodRegistry finds it by its @DeviceMethodProvider mark. */
@Module({
  imports: [DevicesModule, VerificationModule],
  providers: [TotpMethod],
})
export class TotpModule {}
