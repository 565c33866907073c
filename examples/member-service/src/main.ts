import { MfaClient } from '@mfa-platform/client';
import { createMemberService } from './app';
import { parseUsers } from './users';

/** `node dist/examples/member-service/src/main.js` (README.md in this folder). */
function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    console.error(`${name}: required (see examples/member-service/README.md)`);
    process.exit(1);
  }
  return value;
}

function seconds(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) {
    console.error(`${name}: must be a whole number of seconds >= 1`);
    process.exit(1);
  }
  return value;
}

const users = (() => {
  try {
    return parseUsers(required('DEMO_USERS'));
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
})();
const mfa = new MfaClient({
  keyId: required('MFA_SERVICE_KEY_ID'),
  secret: required('MFA_SERVICE_KEY_SECRET'),
  redisUrl: process.env.REDIS_URL, // default: the platform's redis://127.0.0.1:6379/5
});
const app = createMemberService({
  mfa,
  users,
  sensitiveMaxMfaAgeSeconds: seconds('SENSITIVE_MAX_MFA_AGE_SECONDS', 300),
  enrollReturnUrl: process.env.ENROLL_RETURN_URL || undefined,
});
const port = Number(process.env.PORT ?? 4000);
const server = app.listen(port, () => console.log(`member-service listening on http://127.0.0.1:${port} (${users.size} demo users)`));

const stop = () => {
  server.close();
  void mfa.close();
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
