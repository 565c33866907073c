import { BadRequestException, Logger, NotFoundException, PayloadTooLargeException } from '@nestjs/common';
import { AppError, ErrorCodes } from '@mfa/contracts';
import { HttpErrorFilter } from './http-error.filter';

describe(HttpErrorFilter.name, () => {
  const sut = new HttpErrorFilter();
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(true));

  it('maps an AppError through HttpStatusOf', () => {
    expect(sut.toBody(new AppError(ErrorCodes.Conflict, 'dup'))).toEqual({ statusCode: 409, code: 'conflict', message: 'dup' });
    expect(sut.toBody(AppError.validation('x bad', [{ field: 'x' }]))).toEqual({
      statusCode: 400,
      code: 'validation_failed',
      message: 'x bad',
      details: [{ field: 'x' }],
    });
    expect(sut.toBody(new AppError(ErrorCodes.Unavailable, 'down')).statusCode).toBe(503);
  });

  it("gives a bus handler's field errors the HTTP shape {field, problems}", () => {
    const fromBus = AppError.validation('until: must be in the future', [{ field: 'until', messages: ['must be in the future'] }]);
    expect(sut.toBody(fromBus).details).toEqual([{ field: 'until', problems: ['must be in the future'] }]);
  });

  it('maps Nest HTTP exceptions by status', () => {
    expect(sut.toBody(new NotFoundException('Cannot GET /x'))).toEqual({ statusCode: 404, code: 'not_found', message: 'Cannot GET /x' });
    expect(sut.toBody(new BadRequestException(['a', 'b']))).toMatchObject({ statusCode: 400, code: 'validation_failed', message: 'a; b' });
    expect(sut.toBody(new PayloadTooLargeException())).toMatchObject({ statusCode: 413, code: 'validation_failed' });
  });

  it('turns anything else into a 500 with an errorId and no inner message', () => {
    const body = sut.toBody(new Error('password=hunter2 leaked in a driver message'));
    expect(body).toEqual({
      statusCode: 500,
      code: 'internal',
      message: expect.stringContaining(body.errorId!),
      errorId: expect.any(String),
    });
    expect(body.message).not.toContain('hunter2');
  });
});
