import { BadRequestException, ConflictException, InternalServerErrorException, Logger, ValidationPipe } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { IsInt, Min } from 'class-validator';
import { lastValueFrom } from 'rxjs';
import { AppError } from '@mfa/contracts';
import { BusReplyError, toWireError } from './bus-errors';
import { BusExceptionFilter } from './bus-exception.filter';
import { fieldsOf } from './wire';

class CountDto {
  @IsInt()
  @Min(1)
  count: number;
}

describe('toWireError (the filter and the server fallback share it)', () => {
  let logged: jest.SpyInstance;
  beforeEach(() => {
    logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => logged.mockRestore());

  it('keeps an AppError code, message and details', () => {
    expect(toWireError(new AppError('conflict', 'dup', [1]))).toEqual({ code: 'conflict', message: 'dup', details: [1] });
  });

  it('maps the BadRequestException of a plain Nest ValidationPipe to validation_failed naming the field', async () => {
    const err = await new ValidationPipe().transform({ count: 0 }, { type: 'body', metatype: CountDto }).catch((e) => e);
    expect(err).toBeInstanceOf(BadRequestException);
    expect(toWireError(err)).toEqual({ code: 'validation_failed', message: 'count must not be less than 1' });
  });

  it('maps other HttpExceptions by status, 5xx to internal', () => {
    expect(toWireError(new ConflictException('taken'))).toEqual({ code: 'conflict', message: 'taken' });
    expect(toWireError(new InternalServerErrorException('db down'))).toMatchObject({ code: 'internal' });
  });

  it('maps RpcExceptions: a wire error as is, anything else as validation_failed', () => {
    expect(toWireError(new RpcException({ code: 'not_found', message: 'no such device' }))).toEqual({
      code: 'not_found',
      message: 'no such device',
    });
    expect(toWireError(new RpcException('name: required'))).toEqual({ code: 'validation_failed', message: 'name: required' });
  });

  it('maps anything else to internal with a fresh errorId, logged with the stack', () => {
    const a = toWireError(new TypeError('x is undefined'));
    const b = toWireError('a thrown string');
    expect(a.code).toBe('internal');
    expect(a.errorId).not.toEqual(b.errorId);
    expect(logged.mock.calls[0].join(' ')).toContain(a.errorId);
    expect(logged.mock.calls[0][1]).toContain('TypeError: x is undefined');
  });

  it('passes a BusReplyError through unchanged and unlogged', () => {
    const wire = { code: 'internal' as const, message: 'm', errorId: 'e' };
    expect(toWireError(new BusReplyError(wire))).toBe(wire);
    expect(logged).not.toHaveBeenCalled();
  });

  it('BusExceptionFilter errors the stream with a BusReplyError', async () => {
    const out = new BusExceptionFilter().catch(new AppError('locked_out', 'later'), {} as never);
    await expect(lastValueFrom(out)).rejects.toEqual(new BusReplyError({ code: 'locked_out', message: 'later' }));
  });
});

describe('fieldsOf', () => {
  it('reads known fields, first occurrence wins, tolerates odd lists and null', () => {
    expect(fieldsOf(['id', 'a', 'x', 'y', 'id', 'b', 'pattern'].map((s) => Buffer.from(s)))).toEqual({ id: 'a' });
    expect(fieldsOf(null)).toEqual({});
  });
});
