import { Module } from '@nestjs/common';
import { DevicesModule } from '../../devices/devices.module';
import { LimitsModule } from '../../limits/limits.module';
import { PoliciesModule } from '../../policies/policies.module';
import { VerificationModule } from '../../verification/verification.module';
import { SmsController } from './sms.controller';
import { SmsMethod } from './sms.method';
import { SmsService } from './sms.service';

/** The SMS device method and mfa.sms.send; the gateway is SmsDeliveryModule's (sms/). */
@Module({
  imports: [DevicesModule, LimitsModule, PoliciesModule, VerificationModule],
  controllers: [SmsController],
  providers: [SmsService, SmsMethod],
})
export class SmsMethodModule {}
