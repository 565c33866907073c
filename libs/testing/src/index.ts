export * from './test-env';
export * from './service-harness';
export * from './org-fixtures';
export * from './wait-for';
