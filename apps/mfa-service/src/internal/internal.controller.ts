import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { InternalPatterns, MemberRefDto } from '@mfa/contracts';
import { BusValidationPipe, NoFieldsDto } from '@mfa/bus';
import { DevicesService } from '../lifecycle/devices.service';
import { OrgPolicyService } from '../policies/org-policy.service';
import { ApplyPolicyDto, DeviceResetDto, DevicesSummaryDto } from './internal.dto';

/** Patterns only the platform's own services call (docs/mfa.md, docs/bus-protocol.md). */
@Controller()
export class InternalController {
  constructor(
    private readonly devices: DevicesService,
    private readonly policies: OrgPolicyService,
  ) {}

  /** A no-op round trip, for benchmarks of the bus itself. */
  @MessagePattern(InternalPatterns.MfaPing)
  ping(@Payload(BusValidationPipe) _req: NoFieldsDto) {
    return { pong: true };
  }

  @MessagePattern(InternalPatterns.MfaPolicyApply)
  async applyPolicy(@Payload(BusValidationPipe) dto: ApplyPolicyDto) {
    const { accepted } = await this.policies.apply(dto.policy);
    return { accepted };
  }

  @MessagePattern(InternalPatterns.MfaDevicesReset)
  reset(@Payload(BusValidationPipe) dto: DeviceResetDto) {
    return this.devices.reset(dto.orgId, dto.accountId, dto.serialNumber);
  }

  @MessagePattern(InternalPatterns.MfaAccountsRemove)
  removeAccount(@Payload(BusValidationPipe) dto: MemberRefDto) {
    return this.devices.retireAccount(dto.orgId, dto.accountId);
  }

  @MessagePattern(InternalPatterns.MfaDevicesSummary)
  summary(@Payload(BusValidationPipe) dto: DevicesSummaryDto) {
    return this.devices.summary(dto);
  }
}
