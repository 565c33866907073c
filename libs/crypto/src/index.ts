export * from './key-ring';
export * from './envelope';
export * from './signing-keys';
export * from './session-token';
export * from './constant-time';
export * from './internal-key';
