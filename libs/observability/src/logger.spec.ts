import { SECRET_FIELD_NAMES } from '@mfa/contracts';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { SpanKind, startSpan, withSpan } from '@mfa/bus';
import { Logger } from '@nestjs/common';
import { createRootLogger, PinoLogger } from './logger';
import { startTracing, stopTracing } from './tracing';

describe(createRootLogger.name, () => {
  it('redacts every secret-bearing field and the Authorization header, wherever they sit', () => {
    const lines: string[] = [];
    const logger = createRootLogger('test', 'info', { write: (line: string) => void lines.push(line) });
    const secrets = Object.fromEntries(SECRET_FIELD_NAMES.map((name) => [name, `value-of-${name}`]));
    logger.info({ req: { headers: { authorization: 'Bearer mfak_secret' } }, body: secrets, serialNumber: 'totp-1' }, 'request');
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('value-of-');
    expect(lines[0]).not.toContain('mfak_secret');
    expect(JSON.parse(lines[0])).toMatchObject({ serialNumber: 'totp-1', body: { seed: '[redacted]', phoneNumber: '[redacted]' } });
  });
});

describe(PinoLogger.name, () => {
  it("logs Nest's error(fields, text) as the fields and the text, the error's stack included", () => {
    const lines: string[] = [];
    const nest = new PinoLogger(createRootLogger('test', 'info', { write: (line: string) => void lines.push(line) }));
    Logger.overrideLogger(nest);
    try {
      new Logger('WebErrorFilter').error({ errorId: 'e-1', err: new Error('boom') }, 'web request failed (e-1)');
      nest.error('plain', 'a stack', 'Ctx');
    } finally {
      Logger.overrideLogger(true);
    }
    const [fields, plain] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(fields).toMatchObject({ context: 'WebErrorFilter', errorId: 'e-1', msg: 'web request failed (e-1)', err: { message: 'boom' } });
    expect(JSON.stringify(fields.err)).toContain('at ');
    expect(plain).toMatchObject({ context: 'Ctx', trace: 'a stack', msg: 'plain' });
  });
});

describe('log lines inside a span', () => {
  afterEach(() => stopTracing());

  it('carry trace_id and span_id while tracing is on, nothing otherwise', () => {
    const lines: string[] = [];
    const logger = createRootLogger('test', 'info', { write: (line: string) => void lines.push(line) });
    const log = () => withSpan(startSpan('test', 'x', SpanKind.INTERNAL, {}), () => logger.info('inside'));
    log();
    expect(JSON.parse(lines[0])).not.toHaveProperty('trace_id');
    startTracing({ service: 'test', spanProcessors: [new SimpleSpanProcessor(new InMemorySpanExporter())] });
    const span = startSpan('test', 'x', SpanKind.INTERNAL, {});
    withSpan(span, () => logger.info('inside'));
    logger.info('outside');
    expect(JSON.parse(lines[1])).toMatchObject({ trace_id: span.spanContext().traceId, span_id: span.spanContext().spanId });
    expect(JSON.parse(lines[2])).not.toHaveProperty('trace_id');
  });
});
