// shared with the other services' repositories
export { affected, coalescingBatches, type Db, one, preparedRows, rows } from '@mfa/database';
