/**
 * Error codes of the external contract (docs/admin-api.md, "Errors"). WIRE VALUES: member services
 * and scripts match on these strings; never rename one.
 */
export const ErrorCodes = {
  ValidationFailed: 'validation_failed',
  Unauthenticated: 'unauthenticated',
  Forbidden: 'forbidden',
  NotFound: 'not_found',
  Conflict: 'conflict',
  DeviceLimitReached: 'device_limit_reached',
  MethodNotAllowed: 'method_not_allowed',
  InvalidCode: 'invalid_code',
  LockedOut: 'locked_out',
  RateLimited: 'rate_limited',
  UnknownPattern: 'unknown_pattern',
  StepUpRequired: 'step_up_required',
  Timeout: 'timeout',
  Unavailable: 'unavailable',
  Internal: 'internal',
} as const;
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export const HttpStatusOf: Record<ErrorCode, number> = {
  validation_failed: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  device_limit_reached: 409,
  method_not_allowed: 403,
  invalid_code: 400,
  locked_out: 429,
  rate_limited: 429,
  unknown_pattern: 400,
  step_up_required: 403,
  timeout: 504,
  unavailable: 503,
  internal: 500,
};

/** The `{code, message}` carried by a failed bus reply. */
export interface WireError {
  code: ErrorCode;
  message: string;
  details?: unknown[];
  errorId?: string;
}

/**
 * A domain error with a stable code. Thrown by services in any app; mapped once to the HTTP
 * error body (org-service's exception filter) and to the bus reply (the bus exception filter).
 * The message is shown to callers: never put a secret in it.
 */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown[],
  ) {
    super(message);
    this.name = 'AppError';
  }

  static notFound(what: string): AppError {
    return new AppError(ErrorCodes.NotFound, `${what} not found`);
  }

  static validation(message: string, details?: unknown[]): AppError {
    return new AppError(ErrorCodes.ValidationFailed, message, details);
  }

  toWire(): WireError {
    return { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) };
  }
}

export function isWireError(value: unknown): value is WireError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as WireError).code === 'string' &&
    typeof (value as WireError).message === 'string'
  );
}
