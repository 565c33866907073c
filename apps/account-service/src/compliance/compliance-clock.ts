/** The time the compliance jobs and report compute with. Injected so tests move time, never sleep. */
export abstract class ComplianceClock {
  abstract now(): Date;
}

export class SystemComplianceClock extends ComplianceClock {
  now(): Date {
    return new Date();
  }
}

/** The UTC calendar date of a time, as the snapshots key it. */
export function utcDate(at: Date): string {
  return at.toISOString().slice(0, 10);
}
