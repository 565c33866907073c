import type { LoggerService } from '@nestjs/common';
import pino, { type Logger } from 'pino';

/** Field names whose values never reach a log line, wherever they appear. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  '*.secret', '*.secretBase32', '*.otpauthUri', '*.qrCodePng', '*.code', '*.code1', '*.code2', '*.codes',
  '*.key', '*.token', '*.sessionToken', '*.password', '*.phoneNumber',
];

export function createRootLogger(service: string, level: string): Logger {
  return pino({ level, base: { service }, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, timestamp: pino.stdTimeFunctions.isoTime });
}

/** Nest's logger interface over pino: JSON lines with the service name and context. */
export class PinoLogger implements LoggerService {
  constructor(readonly pino: Logger) {}

  log(message: unknown, context?: string): void {
    this.write('info', message, context);
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.pino.error({ context, trace }, String(message));
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
