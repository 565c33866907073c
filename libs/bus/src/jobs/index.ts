export * from './on-job.decorator';
export * from './job-handlers';
export * from './jobs.module';
export * from './periodic';
export * from './job-metrics';
