import type { Job } from 'bullmq';
import type { JobName, JobPayloads } from '@mfa/contracts';

/** Metadata key of @OnJob: the job names a method handles. */
export const ON_JOB = 'mfa:on-job';

/** What a handler gets besides the payload. */
export interface JobContext {
  /** the BullMQ job (id, attempts; `moveToWait` with `token`) */
  job: Job;
  token?: string;
  /** aborted when the app shuts down: a long job stops at its next step (the worker waits for it) */
  stopping: AbortSignal;
}

export type JobHandler<N extends JobName> = (data: JobPayloads[N], ctx: JobContext) => Promise<unknown>;

/**
 * Declares the method that handles these jobs, next to the code it calls. The data it gets is
 * signed by the platform and valid for the job's payload class (JobPayloadDtos). JobsModule
 * finds every @OnJob at boot and checks them against the registry (checkJobHandlers).
 */
export function OnJob<N extends JobName>(...names: [N, ...N[]]) {
  return <H extends JobHandler<N>>(_target: object, _key: string | symbol, descriptor: TypedPropertyDescriptor<H>): void => {
    Reflect.defineMetadata(ON_JOB, names, descriptor.value!);
  };
}
