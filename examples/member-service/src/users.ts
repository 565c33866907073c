import { createHash, timingSafeEqual } from 'node:crypto';

/** A user of this member service: its own sign-in, plus the platform's account id for the person. */
export interface DemoUser {
  username: string;
  accountId: string;
  passwordSha256: Buffer;
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();
const NO_USER = sha256('');

/**
 * The fake user table: `alice:password:<accountId>,bob:...` (DEMO_USERS). A real service has its
 * own users and stores each one's platform account id next to them; only that id reaches the bus.
 */
export function parseUsers(spec: string): Map<string, DemoUser> {
  const users = new Map<string, DemoUser>();
  for (const entry of spec.split(',').filter((e) => e.trim())) {
    const [username, password, accountId, ...rest] = entry.trim().split(':');
    if (!username || !password || !accountId || rest.length)
      throw new Error(`DEMO_USERS: "${username ?? ''}:...": each entry is username:password:accountId`);
    users.set(username, { username, accountId, passwordSha256: sha256(password) });
  }
  return users;
}

/** The user whose password this is, or null; equal-length digests compared in constant time. */
export function checkPassword(users: Map<string, DemoUser>, username: string, password: string): DemoUser | null {
  const user = users.get(username);
  // an unknown username costs the same comparison, so timing does not tell which names exist
  const matches = timingSafeEqual(user?.passwordSha256 ?? NO_USER, sha256(password));
  return user && matches ? user : null;
}
