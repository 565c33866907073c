import { Inject, Injectable, Module, type OnModuleInit } from '@nestjs/common';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { BULL_BOARD_INSTANCE, BullBoardModule, type BullBoardInstance } from '@bull-board/nestjs';
import type { NextFunction, Request, Response } from 'express';
import { JobQueues } from '@mfa/bus';
import { ErrorCodes, type QueueName, Queues } from '@mfa/contracts';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { bearerToken } from '../auth/bearer';
import { PlatformKey } from '../auth/platform-key';

/** Where the board is mounted (docs/operations.md, "Queue board"). */
export const QUEUE_BOARD_ROUTE = '/admin/queues';

const REALM = 'Basic realm="mfa-platform queues", charset="UTF-8"';

/** The key an operator presents: `Bearer <key>`, or Basic with the key as password (a browser's login prompt). */
function presentedKey(header: string | undefined): string | null {
  const bearer = bearerToken(header);
  if (bearer) return bearer;
  const basic = header ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header) : null;
  if (!basic) return null;
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 ? decoded.slice(colon + 1) : null;
}

/**
 * The board's gate: the platform key only (an org key sees no queue: jobs of every org are
 * there), and read-only: GET and HEAD only, so no retry, clean or promote gets through even if
 * the board's own read-only flag were lost. Refusals carry the API's error body.
 */
export function queueBoardGate(key: PlatformKey) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const presented = presentedKey(req.headers.authorization);
    if (!presented || !key.matches(presented)) {
      res
        .status(401)
        .set('WWW-Authenticate', REALM)
        .json({ statusCode: 401, code: ErrorCodes.Unauthenticated, message: 'the queue board needs the platform key' });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.status(403).json({ statusCode: 403, code: ErrorCodes.Forbidden, message: 'the queue board is read-only' });
      return;
    }
    next();
  };
}

/** Puts every platform queue on the board, read-only (org-service produces on most, so it sees them all). */
@Injectable()
export class QueueBoardQueues implements OnModuleInit {
  constructor(
    @Inject(BULL_BOARD_INSTANCE) private readonly board: BullBoardInstance,
    private readonly jobs: JobQueues,
  ) {}

  onModuleInit(): void {
    for (const name of Object.values(Queues) as QueueName[])
      this.board.addQueue(new BullMQAdapter(this.jobs.queue(name), { readOnlyMode: true, allowRetries: false }));
  }
}

/** Bull Board at /admin/queues, behind the platform key, read-only. */
@Module({
  imports: [
    BullBoardModule.forRootAsync({
      imports: [ApiKeysModule],
      inject: [PlatformKey],
      useFactory: (key: PlatformKey) => ({ route: QUEUE_BOARD_ROUTE, adapter: ExpressAdapter, middleware: queueBoardGate(key) }),
    }),
  ],
  providers: [QueueBoardQueues],
})
export class QueueBoardModule {}
