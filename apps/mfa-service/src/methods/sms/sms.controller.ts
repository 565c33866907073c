import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { Patterns } from '@mfa/contracts';
import { BusValidationPipe } from '@mfa/bus';
import { DeviceRefDto } from '../devices/dto/device.dto';
import { SmsService } from './sms.service';

@Controller()
export class SmsController {
  constructor(private readonly sms: SmsService) {}

  @MessagePattern(Patterns.MfaSmsSend)
  send(@Payload(BusValidationPipe) dto: DeviceRefDto) {
    return this.sms.send(dto.accountId, dto.serialNumber);
  }
}
