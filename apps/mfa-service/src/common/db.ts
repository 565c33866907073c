// shared with the other services' repositories
export { type Db, one, rows } from '@mfa/database';
