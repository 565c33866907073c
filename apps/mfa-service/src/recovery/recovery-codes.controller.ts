import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { Patterns } from '@mfa/contracts';
import { BusValidationPipe } from '@mfa/bus';
import { StepUpAccountDto } from '../devices/dto/device.dto';
import { RecoveryCodesService } from './recovery-codes.service';

@Controller()
export class RecoveryCodesController {
  constructor(private readonly recovery: RecoveryCodesService) {}

  @MessagePattern(Patterns.MfaRecoveryCodesGenerate)
  generate(@Payload(BusValidationPipe) dto: StepUpAccountDto) {
    return this.recovery.generate(dto.accountId, dto.sessionToken);
  }
}
