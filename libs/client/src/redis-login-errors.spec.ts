/**
 * A refused login (a wrong password, or the right one on a node that lacks the ACL user: a node
 * added or restarted without its aclfile) fails the connection's commands with ioredis' error,
 * which carries the login command: `err.command.args` held the user and password, printed by
 * pino's error serializer (`logger.error({ err })`) and by util.inspect (console.error, an
 * unhandled rejection). createRedis blanks it before any caller sees the error.
 */
import { inspect } from 'node:util';
import type { Cluster } from 'ioredis';
import { clusterUrl, createRedis, type RedisConnection } from './redis-target';

const PASSWORD = 'hunter2-not-a-real-one';
const seen = (err: unknown) => `${inspect(err, { depth: 5 })} ${JSON.stringify(err)}`;

/** A command's error and every error event, once the connection has reported one. */
async function refusal(conn: RedisConnection): Promise<{ command: unknown; events: unknown[] }> {
  const events: unknown[] = [];
  const reported = new Promise<void>((resolve) => {
    for (const event of ['error', 'node error'])
      conn.on(event, (e: unknown) => {
        events.push(e);
        resolve();
      });
  });
  const command = conn.get('login-errors-spec').then(
    () => null,
    (e: unknown) => e,
  );
  await reported;
  await new Promise((r) => setTimeout(r, 200));
  conn.disconnect();
  // a cluster's command may stay queued past the disconnect: what it holds is then nothing
  return { command: await Promise.race([command, new Promise((r) => setTimeout(() => r('still queued'), 1000))]), events };
}

describe('a refused Redis login', () => {
  it("never puts the password on a command's error or the connection's error events (one Redis)", async () => {
    const db = Number(process.env.TEST_REDIS_DB ?? 11);
    const r = await refusal(
      createRedis(`redis://login-errors-nobody:${PASSWORD}@127.0.0.1:6379/${db}`, { maxRetriesPerRequest: 0, retryStrategy: () => null }),
    );
    expect(String(r.command)).toMatch(/WRONGPASS/);
    expect(seen(r.command)).not.toContain(PASSWORD);
    expect(seen(r.events)).not.toContain(PASSWORD);
  });

  const nodes = process.env.REDIS_CLUSTER_NODES;
  (nodes ? it : it.skip)("nor on a cluster: its nodes' errors and its slots lookup's", async () => {
    const conn = createRedis(clusterUrl(nodes!, { username: 'login-errors-nobody', password: PASSWORD }), {
      maxRetriesPerRequest: 0,
    }) as Cluster;
    const r = await refusal(conn);
    expect(seen(r.events)).toMatch(/WRONGPASS/);
    expect(seen(r.command)).not.toContain(PASSWORD);
    expect(seen(r.events)).not.toContain(PASSWORD);
  });
});
