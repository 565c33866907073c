import { randomUUID } from 'node:crypto';
import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { AppError, type ErrorCode, ErrorCodes, HttpStatusOf } from '@mfa/contracts';

const CODE_OF_STATUS: Record<number, ErrorCode> = {
  400: ErrorCodes.ValidationFailed,
  401: ErrorCodes.Unauthenticated,
  403: ErrorCodes.Forbidden,
  404: ErrorCodes.NotFound,
  405: ErrorCodes.NotFound,
  409: ErrorCodes.Conflict,
  413: ErrorCodes.ValidationFailed,
  415: ErrorCodes.ValidationFailed,
  429: ErrorCodes.RateLimited,
  503: ErrorCodes.Unavailable,
  504: ErrorCodes.Timeout,
};

export interface HttpErrorBody {
  statusCode: number;
  code: ErrorCode;
  message: string;
  details?: unknown[];
  errorId?: string;
}

function isAppError(err: unknown): err is AppError {
  // duck-typed: an AppError rebuilt by the bus client from a reply is still one
  return err instanceof AppError || (err instanceof Error && err.name === 'AppError' && typeof (err as AppError).code === 'string');
}

/**
 * The one place an exception becomes the contract's error body. Anything unexpected is a 500
 * `internal` whose errorId is in the log next to the stack, never the error's own message.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const body = this.toBody(exception);
    if (res.headersSent) return;
    res.status(body.statusCode).json(body);
  }

  toBody(exception: unknown): HttpErrorBody {
    if (isAppError(exception) && exception.code in HttpStatusOf && exception.code !== ErrorCodes.Internal) {
      const statusCode = HttpStatusOf[exception.code];
      return {
        statusCode,
        code: exception.code,
        message: exception.message,
        ...(exception.details ? { details: exception.details.map(asFieldProblem) } : {}),
      };
    }
    if (exception instanceof HttpException && exception.getStatus() < 500) {
      const statusCode = exception.getStatus();
      const code = CODE_OF_STATUS[statusCode] ?? ErrorCodes.ValidationFailed;
      return { statusCode, code, message: messageOf(exception) };
    }
    const errorId = randomUUID();
    const err = exception instanceof Error ? exception : new Error(String(exception));
    this.logger.error(`unhandled error, errorId=${errorId}: ${err.name}: ${err.message}`, err.stack);
    return { statusCode: 500, code: ErrorCodes.Internal, message: `internal error (errorId ${errorId})`, errorId };
  }
}

/**
 * A bus handler names bad fields `{field, messages}` (BusValidationPipe); the HTTP API's shape is
 * `{field, problems}` (docs/admin-api.md, "Errors"), whichever service found the problem.
 */
function asFieldProblem(detail: unknown): unknown {
  if (typeof detail !== 'object' || detail === null || !('messages' in detail) || 'problems' in detail) return detail;
  const { messages, ...rest } = detail;
  return { ...rest, problems: messages };
}

function messageOf(exception: HttpException): string {
  const response = exception.getResponse();
  const msg = typeof response === 'string' ? response : (response as { message?: unknown }).message;
  if (Array.isArray(msg)) return msg.join('; ');
  return typeof msg === 'string' ? msg : exception.message;
}
