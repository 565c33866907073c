import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { Patterns } from '@mfa/contracts';
import { BusValidationPipe } from '@mfa/bus';
import { DeviceRefDto } from '../../devices/dto/device.dto';
import { SmsMethod } from './sms.method';

@Controller()
export class SmsController {
  constructor(private readonly sms: SmsMethod) {}

  @MessagePattern(Patterns.MfaSmsSend)
  send(@Payload(BusValidationPipe) dto: DeviceRefDto) {
    return this.sms.send(dto.accountId, dto.serialNumber);
  }
}
