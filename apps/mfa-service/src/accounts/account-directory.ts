import { Injectable } from '@nestjs/common';
import { AppError, ErrorCodes, Patterns, type Member } from '@mfa/contracts';
import { Bus } from '@mfa/bus';

/** What mfa-service asks account-service about an account (over the bus, never its tables). */
@Injectable()
export class AccountDirectory {
  constructor(private readonly bus: Bus) {}

  async get(accountId: string): Promise<Member> {
    try {
      return await this.bus.send(Patterns.AccountsGet, { accountId });
    } catch (err) {
      if (err instanceof AppError && err.code === ErrorCodes.NotFound) throw AppError.notFound('account');
      throw err;
    }
  }
}
