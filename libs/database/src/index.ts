export * from './data-source-options';
export * from './ensure-database';
export * from './raw-query';
export * from './coalescing-batches';
export * from './keyset';
