export * from './logger';
export * from './metrics';
export * from './security-metrics';
export * from './health';
export * from './bootstrap';
export * from './tracing';
