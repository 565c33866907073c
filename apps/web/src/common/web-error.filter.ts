import { randomUUID } from 'node:crypto';
import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AppError, ErrorCodes, HttpStatusOf } from '@mfa/contracts';
import { NotSignedIn, ReadOnlyKey } from '../console/console-sessions';
import { OrgApiError } from '../console/org-api';
import { NoEnrollSession } from '../enroll/enroll-sessions';
import { RateLimited } from './rate-limit';
import { render } from './render';

/** Every error as a page a person can act on; a 500 carries an id that is in the log (never the error's text). */
@Catch()
export class WebErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('WebErrorFilter');

  catch(err: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) return void res.end();
    const page = (status: number, title: string, message: string) =>
      req.path.endsWith('.json')
        ? res.status(status).json({ statusCode: status, message })
        : render(req, res, 'error', { title, message }, status);

    if (err instanceof NotSignedIn)
      return req.path.endsWith('.json') ? void page(401, 'Signed out', 'sign in again') : res.redirect(303, '/console/sign-in');
    if (err instanceof NoEnrollSession)
      return void page(401, 'This page has expired', 'Your enrollment page session ended. Open a new enrollment link to start again.');
    if (err instanceof ReadOnlyKey)
      return void page(403, 'Read-only key', 'You signed in with an auditor key: it can see everything and change nothing.');
    if (err instanceof RateLimited) {
      res.setHeader('Retry-After', String(err.retryAfterSeconds));
      return void page(429, 'Too many attempts', err.message);
    }
    if (err instanceof OrgApiError && err.status < 500) return void page(err.status, titleOf(err.status), err.message);
    if (err instanceof AppError && err.code !== ErrorCodes.Internal) {
      const status = HttpStatusOf[err.code] ?? 400;
      if (status < 500) return void page(status, titleOf(status), err.message);
    }
    if (err instanceof HttpException && err.getStatus() < 500)
      return void page(err.getStatus(), titleOf(err.getStatus()), 'There is no such page.');
    const errorId = randomUUID();
    this.logger.error({ errorId, err }, `web request failed (${errorId})`);
    page(
      err instanceof OrgApiError || err instanceof AppError ? 503 : 500,
      'Something went wrong',
      `Please try again in a moment. If it keeps failing, quote error ${errorId}.`,
    );
  }
}

function titleOf(status: number): string {
  return (
    (
      {
        400: 'Please check the form',
        401: 'Not signed in',
        403: 'Not allowed',
        404: 'Not found',
        409: 'Conflict',
        429: 'Too many attempts',
      } as Record<number, string>
    )[status] ?? 'Refused'
  );
}
