import { Injectable, ValidationPipe } from '@nestjs/common';
import type { ValidationError } from '@nestjs/common';
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
}

/** The request of a pattern that takes no fields (`mfa.sessions.jwks`, the pings): `{}`. */
export class NoFieldsDto {}
