import { Inject, Injectable } from '@nestjs/common';
import type { OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { BusPattern, ReplyOf, RequestOf } from '@mfa/contracts';
import { BusClient } from './bus.client';
import { BUS_CLIENT } from './wire';

export interface BusSendOptions {
  timeoutMs?: number;
}

/**
 * The typed face of the bus: `bus.send(Patterns.MfaVerify, req)` is checked both ways against
 * BusContract. Resolves with the reply's data; rejects with AppError(code, message).
 */
@Injectable()
export class Bus implements OnModuleInit, OnModuleDestroy {
  constructor(@Inject(BUS_CLIENT) readonly client: BusClient) {}

  send<P extends BusPattern>(pattern: P, data: RequestOf<P>, opts: BusSendOptions = {}): Promise<ReplyOf<P>> {
    return this.client.request(pattern, data, opts.timeoutMs) as Promise<ReplyOf<P>>;
  }

  async onModuleInit(): Promise<void> {
    await this.client.connect();
  }

  async onModuleDestroy(): Promise<void> {
    await this.client.close();
  }
}
