import { Catch } from '@nestjs/common';
import type { ArgumentsHost, RpcExceptionFilter } from '@nestjs/common';
import { throwError } from 'rxjs';
import type { Observable } from 'rxjs';
import { BusReplyError, toWireError } from './bus-errors';

/**
 * Register on the bus microservice: `app.useGlobalFilters(new BusExceptionFilter())`.
 * Without it Nest's RpcExceptionsHandler turns every non-RpcException (AppError included) into
 * `{status:'error', message:'Internal server error'}` before the transport sees it, and the
 * code is lost. The filter maps once, with the same function the server falls back to.
 */
@Catch()
export class BusExceptionFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    const wire = toWireError(exception);
    return throwError(() => new BusReplyError(wire));
  }
}
