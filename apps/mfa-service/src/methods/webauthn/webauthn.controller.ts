import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { Patterns } from '@mfa/contracts';
import { BusValidationPipe } from '@mfa/bus';
import { AccountDirectory } from '../../accounts/account-directory';
import { AccountDto } from '../../devices/dto/device.dto';
import { WebAuthnMethod } from './webauthn.method';

@Controller()
export class WebAuthnController {
  constructor(
    private readonly webauthn: WebAuthnMethod,
    private readonly accounts: AccountDirectory,
  ) {}

  @MessagePattern(Patterns.MfaChallengesCreate)
  async challenge(@Payload(BusValidationPipe) dto: AccountDto) {
    await this.accounts.get(dto.accountId); // an unknown account is not_found, never an empty challenge
    return this.webauthn.challenge(dto.accountId);
  }
}
