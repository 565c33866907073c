import { Injectable, ValidationPipe } from '@nestjs/common';
import type { ArgumentMetadata, ValidationError } from '@nestjs/common';
import { AppError, ErrorCodes } from '@mfa/contracts';

export interface FieldError {
  field: string;
  messages: string[];
}

/** Flattens class-validator errors to one entry per bad field: `members.3.email`, `policy.version`. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const e of errors) {
    const field = parent ? `${parent}.${e.property}` : e.property;
    if (e.constraints && Object.keys(e.constraints).length > 0) {
      out.push({ field, messages: Object.values(e.constraints) });
    }
    if (e.children?.length) out.push(...flattenValidationErrors(e.children, field));
  }
  return out;
}

/** `'<field>: <constraint message>; ...'`, every bad field named. */
export function validationMessage(fields: FieldError[]): string {
  if (fields.length === 0) return 'invalid request';
  return fields.map((f) => f.messages.map((m) => `${f.field}: ${m}`).join('; ')).join('; ');
}

export function busValidationException(errors: ValidationError[]): AppError {
  const fields = flattenValidationErrors(errors);
  return new AppError(ErrorCodes.ValidationFailed, validationMessage(fields), fields);
}

/**
 * The validation pipe of bus handlers: `@Payload(BusValidationPipe) dto: SomeDto`. Throws an
 * AppError('validation_failed') naming every bad field, which BusExceptionFilter sends as is.
 * An unknown field (at any depth the DTO validates) is refused by name, as over HTTP: a caller
 * who writes `token` for `sessionToken` is told so instead of getting `mfa_required`.
 */
@Injectable()
export class BusValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      forbidUnknownValues: false,
      exceptionFactory: busValidationException,
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const type = metadata.metatype;
    // own property only: a subclass (more fields) is not covered by its parent's shape
    if (type && Object.hasOwn(type, 'fastShape')) {
      const dto = (type as unknown as FastShaped<unknown>).fastShape(value);
      if (dto !== undefined) return dto;
    }
    return super.transform(value, metadata);
  }
}

/**
 * A DTO class of a hot pattern may offer `static fastShape(data)`: the instance when `data` has
 * the pattern's commonest shape and is valid beyond doubt, else undefined and class-validator
 * judges it (every refusal, with its messages, stays class-validator's). Its walk was ~9% of
 * mfa-service's CPU under `mfa.verify` load (docs/benchmarks.md). What it takes must be a subset
 * of what the decorators accept, with the same result: test it against them (`verify.dto.spec.ts`).
 */
export interface FastShaped<T> {
  fastShape(data: unknown): T | undefined;
}

/** The request of a pattern that takes no fields (`mfa.sessions.jwks`, the pings): `{}`. */
export class NoFieldsDto {}
