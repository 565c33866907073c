export * from './enums';
export * from './errors';
export * from './models';
export * from './patterns';
export * from './queues';
export * from './dto';
export * from './job-payloads';
export * from './conditions';
