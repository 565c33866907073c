/**
 * The time source of every service: injected (provide Clock, useClass SystemClock) so tests move
 * time instead of sleeping. Code that needs "now" asks it, never `new Date()`.
 */
export abstract class Clock {
  abstract now(): Date;
}

export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }
}

/** A clock tests set and advance. */
export class FixedClock extends Clock {
  constructor(private current: Date = new Date()) {
    super();
  }
  now(): Date {
    return new Date(this.current.getTime());
  }
  set(at: Date | number): void {
    this.current = new Date(at);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

/** The UTC calendar date of a time (YYYY-MM-DD), as daily rows are keyed. */
export function utcDate(at: Date): string {
  return at.toISOString().slice(0, 10);
}
