import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { BusValidationPipe, NoFieldsDto } from '@mfa/bus';
import { InternalPatterns, Patterns } from '@mfa/contracts';
import { AccountIdDto } from './dto/member-requests.dto';
import { MemberService } from './member.service';

/** Public `accounts.*` patterns member services call (accounts.authorize lives in enforcement/). */
@Controller()
export class AccountsBusController {
  constructor(private readonly members: MemberService) {}

  @MessagePattern(Patterns.AccountsGet)
  get(@Payload(BusValidationPipe) req: AccountIdDto) {
    return this.members.get(req.accountId);
  }

  /** org-service and ops scripts use it to check that an accounts instance is consuming. */
  @MessagePattern(InternalPatterns.AccountsPing)
  ping(@Payload(BusValidationPipe) _req: NoFieldsDto) {
    return { pong: true as const };
  }
}
