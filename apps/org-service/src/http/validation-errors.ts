import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { AppError } from '@mfa/contracts';

/** At most this many fields are named in one message; `details` carries the same cut-off list. */
const MAX_NAMED_FIELDS = 20;

export interface FieldProblem {
  field: string;
  problems: string[];
}

/** `members.17.email` -> `members[17].email`: a bulk row is named by its index. */
function joinPath(parent: string, property: string): string {
  if (/^\d+$/.test(property)) return `${parent}[${property}]`;
  return parent ? `${parent}.${property}` : property;
}

// class-validator starts its messages with the bare property name ("each value in <name>" for `each`)
function namedProblem(message: string, property: string, field: string): string {
  // `actions[1] must be ...` (a validator naming the bad entry) becomes `conditions[0].actions[1] must be ...`
  if (message.startsWith(`${property} `) || message.startsWith(`${property}[`)) return field + message.slice(property.length);
  const each = `each value in ${property} `;
  if (message.startsWith(each)) return `each value in ${field} ${message.slice(each.length)}`;
  return `${field} ${message}`;
}

export function fieldProblems(errors: ValidationError[], parent = '', out: FieldProblem[] = []): FieldProblem[] {
  for (const e of errors) {
    if (out.length >= MAX_NAMED_FIELDS + 1) break;
    const field = joinPath(parent, e.property);
    const constraints = Object.values(e.constraints ?? {});
    if (constraints.length) out.push({ field, problems: constraints.map((m) => namedProblem(m, e.property, field)) });
    if (e.children?.length) fieldProblems(e.children, field, out);
  }
  return out;
}

/** The contract's validation_failed error, naming every bad field (the first 20 of them). */
export function validationFailed(errors: ValidationError[]): AppError {
  const all = fieldProblems(errors);
  const named = all.slice(0, MAX_NAMED_FIELDS);
  const more = all.length > MAX_NAMED_FIELDS ? '; and more' : '';
  const message = named.flatMap((f) => f.problems).join('; ') + more;
  return AppError.validation(message || 'invalid request', named);
}

/** whitelist + forbidNonWhitelisted: an unknown field is an error that names it, not silently dropped. */
export function httpValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    forbidUnknownValues: true,
    exceptionFactory: validationFailed,
  });
}
