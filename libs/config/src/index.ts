export * from './load-config';
export * from './base-env';
export * from './config.module';
export * from './dev-secret';
export * from './env-validators';
