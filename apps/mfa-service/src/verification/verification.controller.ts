import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { Patterns } from '@mfa/contracts';
import { BusValidationPipe, RedisStreamsContext } from '@mfa/bus';
import { proofOf } from '../methods/proof-of-request';
import { VerificationService } from './verification.service';
import { VerifyDto } from './verify.dto';

@Controller()
export class VerificationController {
  constructor(private readonly verification: VerificationService) {}

  @MessagePattern(Patterns.MfaVerify)
  verify(@Payload(BusValidationPipe) dto: VerifyDto, @Ctx() ctx: RedisStreamsContext) {
    return this.verification.verify(dto.accountId, proofOf(dto), dto.serialNumber, ctx.getPrefetched());
  }
}
