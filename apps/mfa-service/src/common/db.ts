// shared with the other services' repositories
export { coalescingBatches, type Db, one, preparedRows, rows } from '@mfa/database';
