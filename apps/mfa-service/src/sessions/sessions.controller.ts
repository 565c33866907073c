import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { Patterns } from '@mfa/contracts';
import { BusValidationPipe, NoFieldsDto } from '@mfa/bus';
import { AccountDto } from '../devices/dto/device.dto';
import { IssueSessionDto } from '../verification/verify.dto';
import { SessionRevocations } from '../tokens/session-revocations';
import { proofOf } from '../methods/proof-of-request';
import { SessionService } from './session.service';

@Controller()
export class SessionsController {
  constructor(
    private readonly sessions: SessionService,
    private readonly revocations: SessionRevocations,
  ) {}

  @MessagePattern(Patterns.MfaSessionsIssue)
  issue(@Payload(BusValidationPipe) dto: IssueSessionDto) {
    return this.sessions.issue(dto.accountId, proofOf(dto), dto.serialNumber, dto.durationSeconds);
  }

  @MessagePattern(Patterns.MfaSessionsRevoke)
  revoke(@Payload(BusValidationPipe) dto: AccountDto) {
    return this.revocations.revokeAll(dto.accountId);
  }

  @MessagePattern(Patterns.MfaSessionsJwks)
  jwks(@Payload(BusValidationPipe) _req: NoFieldsDto) {
    return this.sessions.jwks();
  }
}
