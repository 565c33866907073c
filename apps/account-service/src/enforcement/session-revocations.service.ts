import { Injectable } from '@nestjs/common';
import type { SessionRevocation } from '@mfa/contracts';
import { SessionRevocationRepository } from './session-revocation.repository';

/** `accounts.internal.sessions.revoke`: mfa-service's revocations, kept for accounts.authorize. */
@Injectable()
export class SessionRevocationsService {
  constructor(private readonly revocations: SessionRevocationRepository) {}

  async record(req: SessionRevocation): Promise<{ recorded: true }> {
    await this.revocations.record(req);
    return { recorded: true };
  }
}
