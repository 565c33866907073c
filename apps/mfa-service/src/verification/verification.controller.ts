import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { Patterns } from '@mfa/contracts';
import { BusValidationPipe } from '@mfa/bus';
import { proofOf } from '../methods/proof-of-request';
import { VerificationService } from './verification.service';
import { VerifyDto } from './verify.dto';

@Controller()
export class VerificationController {
  constructor(private readonly verification: VerificationService) {}

  @MessagePattern(Patterns.MfaVerify)
  verify(@Payload(BusValidationPipe) dto: VerifyDto) {
    return this.verification.verify(dto.accountId, proofOf(dto), dto.serialNumber);
  }
}
