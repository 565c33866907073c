import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { Patterns } from '@mfa/contracts';
import { BusValidationPipe } from '@mfa/bus';
import { proofOf } from '../methods/proof-of-request';
import { DeviceEnrollmentService } from './device-enrollment.service';
import { DevicesService } from './devices.service';
import { AccountDto, CreateDeviceDto, DeactivateDeviceDto, EnableDeviceDto, ResyncDeviceDto } from '../devices/dto/device.dto';

@Controller()
export class DevicesController {
  constructor(
    private readonly enrollment: DeviceEnrollmentService,
    private readonly devices: DevicesService,
  ) {}

  @MessagePattern(Patterns.MfaDevicesCreate)
  create(@Payload(BusValidationPipe) dto: CreateDeviceDto) {
    return this.enrollment.create(dto);
  }

  @MessagePattern(Patterns.MfaDevicesEnable)
  enable(@Payload(BusValidationPipe) dto: EnableDeviceDto) {
    return this.enrollment.enable(dto.accountId, dto.serialNumber, proofOf(dto));
  }

  @MessagePattern(Patterns.MfaDevicesResync)
  resync(@Payload(BusValidationPipe) dto: ResyncDeviceDto) {
    return this.enrollment.resync(dto.accountId, dto.serialNumber, dto.code1, dto.code2);
  }

  @MessagePattern(Patterns.MfaDevicesList)
  list(@Payload(BusValidationPipe) dto: AccountDto) {
    return this.devices.list(dto.accountId);
  }

  @MessagePattern(Patterns.MfaDevicesDeactivate)
  deactivate(@Payload(BusValidationPipe) dto: DeactivateDeviceDto) {
    return this.devices.deactivate(dto.accountId, dto.serialNumber, dto.sessionToken);
  }
}
