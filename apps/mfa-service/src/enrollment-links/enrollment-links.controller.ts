import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { BusValidationPipe, RedisStreamsContext } from '@mfa/bus';
import { InternalPatterns, Patterns } from '@mfa/contracts';
import { CreateEnrollmentLinkDto, RedeemEnrollmentLinkDto } from './enrollment-link.dto';
import { EnrollmentLinksService } from './enrollment-links.service';

@Controller()
export class EnrollmentLinksController {
  constructor(private readonly links: EnrollmentLinksService) {}

  @MessagePattern(Patterns.MfaEnrollmentLinksCreate)
  create(@Payload(BusValidationPipe) dto: CreateEnrollmentLinkDto, @Ctx() ctx: RedisStreamsContext) {
    return this.links.create(ctx.getCaller(), dto.accountId, dto.returnUrl);
  }

  /** internal: only the platform's own key (the web app) may redeem */
  @MessagePattern(InternalPatterns.MfaEnrollmentLinksRedeem)
  redeem(@Payload(BusValidationPipe) dto: RedeemEnrollmentLinkDto) {
    return this.links.redeem(dto.token);
  }
}
