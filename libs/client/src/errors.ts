import type { ErrorCode } from '../../contracts/src/errors';

export type { ErrorCode };

/**
 * Every failure of the client: a refused request carries the contract's code (`invalid_code`,
 * `step_up_required`, `not_found`, ...); the client's own failures are `timeout` (no reply
 * before the deadline), `unavailable` (Redis unreachable, the client closed, or the service
 * said so after every retry) and `unknown_pattern`.
 */
export class MfaError extends Error {
  override readonly name = 'MfaError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown[],
    /** set on `internal` errors: the id the service logged the failure under */
    readonly errorId?: string,
  ) {
    super(message);
  }
}
