import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { Patterns } from '@mfa/contracts';
import { BusValidationPipe } from '@mfa/bus';
import { IssueSessionDto } from '../verification/verify.dto';
import { SessionService } from './session.service';

@Controller()
export class SessionsController {
  constructor(private readonly sessions: SessionService) {}

  @MessagePattern(Patterns.MfaSessionsIssue)
  issue(@Payload(BusValidationPipe) dto: IssueSessionDto) {
    return this.sessions.issue(dto.accountId, dto.code, dto.serialNumber, dto.durationSeconds);
  }

  @MessagePattern(Patterns.MfaSessionsJwks)
  jwks() {
    return this.sessions.jwks();
  }
}
