import { Module } from '@nestjs/common';
import { DevicesModule } from '../devices/devices.module';
import { OrgPolicyRepository } from './org-policy.repository';
import { OrgPolicyService } from './org-policy.service';

/** The part of each org's policy mfa-service acts on (pushed by account-service). */
@Module({
  imports: [DevicesModule],
  providers: [OrgPolicyRepository, OrgPolicyService],
  exports: [OrgPolicyService],
})
export class PoliciesModule {}
