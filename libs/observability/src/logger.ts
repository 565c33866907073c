import type { LoggerService } from '@nestjs/common';
import pino, { type Logger } from 'pino';
import { trace } from '@opentelemetry/api';
import { Tracing } from '@mfa/bus';
import { SECRET_FIELD_NAMES } from '@mfa/contracts';

/** Values that never reach a log line: the Authorization header and every secret-bearing field. */
const REDACTED_PATHS = ['req.headers.authorization', ...SECRET_FIELD_NAMES.map((name) => `*.${name}`)];

export function createRootLogger(service: string, level: string, destination?: pino.DestinationStream): Logger {
  const options = {
    level,
    base: { service },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin: traceIds,
  };
  return destination ? pino(options, destination) : pino(options);
}

/** `trace_id` and `span_id` of the active span on every line logged inside one (tracing on), to go from a log line to its trace. */
function traceIds(): object {
  // a new object each time: pino merges the line's fields into it
  if (!Tracing.enabled) return {};
  const sc = trace.getActiveSpan()?.spanContext();
  return sc && trace.isSpanContextValid(sc) ? { trace_id: sc.traceId, span_id: sc.spanId } : {};
}

/** Nest's logger interface over pino: JSON lines with the service name and context. */
export class PinoLogger implements LoggerService {
  constructor(readonly pino: Logger) {}

  log(message: unknown, context?: string): void {
    this.write('info', message, context);
  }
  error(message: unknown, trace?: string, context?: string): void {
    // `logger.error({ errorId, err }, 'text')`: fields (pino's err serializer included) and the text,
    // as the other levels take an object; String() of it logged "[object Object]" and lost the error
    if (typeof message === 'object' && message !== null && !(message instanceof Error)) this.pino.error({ context, ...message }, trace);
    else this.pino.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.write('warn', message, context);
  }
  debug(message: unknown, context?: string): void {
    this.write('debug', message, context);
  }
  verbose(message: unknown, context?: string): void {
    this.write('trace', message, context);
  }

  private write(level: 'info' | 'warn' | 'debug' | 'trace', message: unknown, context?: string): void {
    if (typeof message === 'object' && message !== null) this.pino[level]({ context, ...message });
    else this.pino[level]({ context }, String(message));
  }
}
