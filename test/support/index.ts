// The whole-system test support: it boots the apps, so it sits above them, never in libs/.
export * from './service-harness';
export * from './org-fixtures';
export * from './bus-fixtures';
export * from './device-fixtures';
// the app-free helpers, from the lib, so a test needs one import
export * from '@mfa/testing';
