export * from './wire';
export * from './bus-errors';
export * from './bus-metrics';
export * from './tracing';
export * from './bus-exception.filter';
export * from './bus-validation.pipe';
export * from './redis-streams.context';
export * from './redis-streams.server';
export * from './bus.client';
export * from './bus';
export * from './bus.module';
export * from './bus-microservice';
export * from './job-queues';
export {
  clusterAuthFromEnv,
  clusterNodesProblem,
  clusterUrl,
  createRedis,
  isCluster,
  isClusterUrl,
  masters,
  openRedis,
} from './redis-connection';
export type { RedisConnection } from './redis-connection';
export * from './platform-key';
export * from './callers';
export * from './prefetch';
export * from './fair-scheduler';
export * from './jobs';
