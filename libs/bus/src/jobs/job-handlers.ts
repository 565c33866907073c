import { type AppName, type JobName, JobPayloadDtos, QueueOfJob, QueueOwner, type QueueName } from '@mfa/contracts';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { UnrecoverableError } from 'bullmq';
import { flattenValidationErrors, validationMessage } from '../bus-validation.pipe';

/** One @OnJob method found at boot: `owner` names it in errors (`Class.method`). */
export interface FoundJobHandler {
  name: string;
  owner: string;
}

/**
 * The boot check: `app` consumes exactly the queues QueueOwner gives it, and every job of those
 * queues has exactly one handler; no handler for a job name the registry lacks or for another
 * app's queue. Throws one error listing every problem (the app does not start).
 */
export function checkJobHandlers(app: AppName, handlers: readonly FoundJobHandler[]): void {
  const problems: string[] = [];
  const byName = new Map<string, string[]>();
  for (const h of handlers) {
    const queue = (QueueOfJob as Record<string, QueueName | undefined>)[h.name];
    if (!queue) problems.push(`${h.owner} handles "${h.name}", a job the registry does not know`);
    else if (QueueOwner[queue] !== app)
      problems.push(`${h.owner} handles "${h.name}" of queue ${queue}, which ${QueueOwner[queue]} consumes`);
    byName.set(h.name, [...(byName.get(h.name) ?? []), h.owner]);
  }
  for (const [name, owners] of byName)
    if (owners.length > 1) problems.push(`"${name}" has ${owners.length} handlers: ${owners.join(', ')}`);
  for (const name of Object.keys(QueueOfJob) as JobName[]) {
    const queue = QueueOfJob[name];
    if (QueueOwner[queue] === app && !byName.has(name)) problems.push(`"${name}" of queue ${queue} has no handler`);
  }
  if (problems.length > 0)
    throw new Error(`${app}: job handlers do not match the registry (libs/contracts/src/queues.ts): ${problems.join('; ')}`);
}

/** The queues an app consumes. */
export function queuesOf(app: AppName): QueueName[] {
  return (Object.keys(QueueOwner) as QueueName[]).filter((q) => QueueOwner[q] === app);
}

/** A job whose data does not fit its payload class: failed for good, every bad field named. */
export class JobPayloadError extends UnrecoverableError {
  constructor(message: string) {
    super(message);
    this.name = 'JobPayloadError';
  }
}

/** Checks `data` against the job's payload class; throws JobPayloadError naming every bad field. */
export function validateJobPayload(name: JobName, data: unknown): void {
  const dto = plainToInstance(JobPayloadDtos[name], data);
  const errors = validateSync(dto, { forbidUnknownValues: false });
  if (errors.length > 0) throw new JobPayloadError(`invalid ${name} job: ${validationMessage(flattenValidationErrors(errors))}`);
}
