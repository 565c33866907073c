// the platform's one clock, shared with the other services (as ./db.ts shares @mfa/database)
export { Clock, FixedClock, SystemClock } from '@mfa/clock';
