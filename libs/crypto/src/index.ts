export * from './key-ring';
export * from './envelope';
export * from './signing-keys';
export * from './session-token';
