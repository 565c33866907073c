// shared with the other services' repositories
export { type Db, one, preparedRows, rows } from '@mfa/database';
