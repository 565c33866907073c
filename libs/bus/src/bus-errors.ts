import { randomUUID } from 'node:crypto';
import { HttpException, Logger } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { AppError, ErrorCodes, isWireError } from '@mfa/contracts';
import type { ErrorCode, WireError } from '@mfa/contracts';

const logger = new Logger('BusErrors');
const KNOWN_CODES = new Set<string>(Object.values(ErrorCodes));

/**
 * A wire error already mapped (and logged) by BusExceptionFilter. The server passes it through
 * unchanged, so the filter path and the server's own fallback never map or log twice.
 */
export class BusReplyError extends Error {
  constructor(readonly wire: WireError) {
    super(wire.message);
    this.name = 'BusReplyError';
  }
}

const HTTP_CODES: Record<number, ErrorCode> = {
  400: ErrorCodes.ValidationFailed,
  401: ErrorCodes.Unauthenticated,
  403: ErrorCodes.Forbidden,
  404: ErrorCodes.NotFound,
  408: ErrorCodes.Timeout,
  409: ErrorCodes.Conflict,
  422: ErrorCodes.ValidationFailed,
  429: ErrorCodes.RateLimited,
  503: ErrorCodes.Unavailable,
  504: ErrorCodes.Timeout,
};

/** Nest's default RPC filter turns any unknown error into exactly this; the real error was lost. */
function isNestGenericError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { status?: unknown }).status === 'error' && !('code' in err);
}

let warnedMissingFilter = false;

/** An `internal` wire error with a fresh errorId; the id and the stack go to the log. */
export function internalError(err: unknown, context = 'bus handler'): WireError {
  const errorId = randomUUID();
  const stack = err instanceof Error ? err.stack : JSON.stringify(err);
  logger.error(`${context} failed, errorId=${errorId}: ${err instanceof Error ? err.message : String(err)}`, stack);
  return { code: ErrorCodes.Internal, message: `internal error (errorId ${errorId})`, errorId };
}

function messageOf(body: unknown, fallback: string): string {
  if (typeof body === 'string') return body;
  const msg = (body as { message?: unknown } | null)?.message;
  if (Array.isArray(msg)) return msg.map(String).join('; ');
  return typeof msg === 'string' ? msg : fallback;
}

/**
 * Whatever a handler threw, as the `error` of a bus reply. One function for both paths (the
 * exception filter and the server's fallback) so the answer does not depend on which ran.
 */
export function toWireError(err: unknown): WireError {
  if (err instanceof BusReplyError) return err.wire;
  // duck-typed too: a second copy of @mfa/contracts (another bundle) must still map
  if (err instanceof AppError || (err instanceof Error && err.name === 'AppError' && isWireError(err))) {
    const app = err as AppError;
    return { code: app.code, message: app.message, ...(app.details ? { details: app.details } : {}) };
  }
  if (err instanceof RpcException) {
    const body = err.getError();
    if (isWireError(body) && KNOWN_CODES.has(body.code)) return { code: body.code, message: body.message };
    return { code: ErrorCodes.ValidationFailed, message: messageOf(body, err.message) };
  }
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const code = HTTP_CODES[status];
    if (!code || status >= 500) return internalError(err);
    return { code, message: messageOf(err.getResponse(), err.message) };
  }
  if (isNestGenericError(err)) {
    if (!warnedMissingFilter) {
      warnedMissingFilter = true;
      logger.warn(
        "a handler error reached Nest's default RPC filter: register BusExceptionFilter (app.useGlobalFilters) to keep error codes",
      );
    }
    return internalError(new Error('handler failed; Nest logged the original error above'));
  }
  return internalError(err);
}
