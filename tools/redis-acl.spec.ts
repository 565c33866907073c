import { randomUUID } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { QUEUE_PREFIX } from '@mfa/contracts';
import { TEST_REDIS_DB, TEST_REDIS_URL, waitFor } from '@mfa/testing';
import { generatePassword, memberServiceRule, parseArgs, platformRule, render } from './redis-acl';

describe('npm run redis:acl (text)', () => {
  it('prints one ACL SETUSER line for a member service, with a generated or given password', () => {
    const out = render(parseArgs(['--key-id', 'k-1', '--db', '5']), {});
    const line = out.split('\n').find((l) => l.startsWith('ACL SETUSER'))!;
    expect(line).toMatch(
      /^ACL SETUSER svc-k-1 reset on >\S{20,} resetchannels %W~bus:mfa:requests %W~bus:accounts:requests ~bus:reply:k-1:\* -@all \+xadd /,
    );
    expect(line).toContain('+select|5');
    expect(out).toContain('generated');
    expect(render(parseArgs(['--key-id=k-1', '--user', 'billing', '--password', 'p4ss']), { REDIS_URL: 'redis://h:1/7' })).toContain(
      'ACL SETUSER billing reset on >p4ss ',
    );
    expect(render(parseArgs([]), { REDIS_URL: 'redis://h:1/7' })).toMatch(
      /ACL SETUSER mfa-platform reset on >\S+ resetchannels ~\* &\* \+@all -select \+select\|7 -flushall -flushdb /,
    );
  });

  it('for a Redis Cluster (--cluster, or REDIS_CLUSTER_NODES set): no SELECT, CLUSTER SLOTS, and the line is for every node', () => {
    const member = render(parseArgs(['--key-id', 'k-1', '--cluster', '--partitions', '2']), {});
    expect(member).toContain('every node, masters and replicas');
    const line = member.split('\n').find((l) => l.startsWith('ACL SETUSER'))!;
    expect(line).toContain('%W~bus:mfa:requests:1');
    expect(line).toContain('+cluster|slots');
    expect(line).not.toContain('select');
    const platform = render(parseArgs([]), { REDIS_CLUSTER_NODES: '127.0.0.1:7000' });
    expect(platform).toMatch(/\+@all -select -cluster \+cluster\|slots .*\+cluster\|keyslot -flushall /);
    expect(() => parseArgs(['--cluster', '--db', '5'])).toThrow('database 0 only');
    expect(() => parseArgs(['--cluster=yes'])).toThrow('takes no value');
  });

  it('refuses key ids that would widen the pattern, and unknown options', () => {
    for (const bad of ['*', 'a*', 'a b', 'k[1]', 'a?']) expect(() => render(parseArgs(['--key-id', bad]), {})).toThrow('--key-id');
    expect(() => parseArgs(['--key', 'x'])).toThrow('unknown option');
    expect(() => parseArgs(['--key-id'])).toThrow('needs a value');
  });
});

/** The rules applied to the test server, each to a user of its own, deleted afterwards. */
describe('the rules on a real Redis', () => {
  const admin = new Redis(TEST_REDIS_URL);
  const run = randomUUID().slice(0, 8);
  const keyId = `acltest-${run}`;
  const memberUser = `acl-test-svc-${run}`;
  const platformUser = `acl-test-platform-${run}`;
  const memberPassword = generatePassword();
  const platformPassword = generatePassword();
  const connect = (username: string, password: string, extra: RedisOptions = {}): RedisOptions => ({
    host: '127.0.0.1',
    port: 6379,
    db: TEST_REDIS_DB,
    username,
    password,
    ...extra,
  });
  let member: Redis;
  let platform: Redis;

  beforeAll(async () => {
    await admin.call(
      'ACL',
      'SETUSER',
      memberUser,
      ...memberServiceRule(keyId, { user: memberUser, password: memberPassword, db: TEST_REDIS_DB }),
    );
    await admin.call(
      'ACL',
      'SETUSER',
      platformUser,
      ...platformRule({ user: platformUser, password: platformPassword, db: TEST_REDIS_DB }),
    );
    // INFO (ioredis' ready check) is not the member's to run
    member = new Redis(
      connect(memberUser, memberPassword, { enableReadyCheck: false, maxRetriesPerRequest: 1, connectionName: 'member-service' }),
    );
    platform = new Redis(connect(platformUser, platformPassword, { maxRetriesPerRequest: null }));
  });
  afterAll(async () => {
    member?.disconnect();
    platform?.disconnect();
    await admin.call('ACL', 'DELUSER', memberUser, platformUser);
    await admin.del(`bus:reply:${keyId}:req`, `bus:reply:${keyId}:r1`, `bus:reply:other:r1`, `acl-test-stream-${run}`, `mfa:verify:${run}`);
    admin.disconnect();
  });

  const refused = (p: Promise<unknown>) => expect(p).rejects.toThrow(/NOPERM/);

  it('a member service may XADD a request but not read the stream back', async () => {
    expect(await member.ping()).toBe('PONG');
    const id = await member.xadd(
      'bus:mfa:requests',
      '*',
      'id',
      `r-${run}`,
      'pattern',
      'mfa.devices.list',
      'data',
      '{"accountId":"x"}',
      'replyTo',
      `bus:reply:${keyId}:req`,
      'deadline',
      String(Date.now() + 5000),
      'keyId',
      keyId,
      'sig',
      '0'.repeat(64),
    );
    expect(id).toMatch(/^\d+-\d+$/);
    expect(await admin.xlen('bus:mfa:requests')).toBeGreaterThanOrEqual(1);
    await refused(member.xrange('bus:mfa:requests', '-', '+'));
    await refused(member.xread('COUNT', 1, 'STREAMS', 'bus:mfa:requests', '0'));
    await refused(member.xreadgroup('GROUP', 'mfa', 'c', 'COUNT', 1, 'STREAMS', 'bus:mfa:requests', '>'));
    await refused(member.xlen('bus:mfa:requests'));
    await refused(member.xadd('bus:elsewhere', '*', 'a', 'b'));
  });

  it('it pops and deletes its own reply lists', async () => {
    await admin.rpush(`bus:reply:${keyId}:r1`, '{"id":"r1","ok":true}', '{"id":"r2","ok":true}');
    expect(await member.blpop(`bus:reply:${keyId}:r1`, 1)).toEqual([`bus:reply:${keyId}:r1`, '{"id":"r1","ok":true}']);
    expect(await member.lpop(`bus:reply:${keyId}:r1`, 10)).toEqual(['{"id":"r2","ok":true}']);
    expect(await member.del(`bus:reply:${keyId}:r1`)).toBe(0);
  });

  it("but touches no other member's replies and no other key", async () => {
    const other = 'bus:reply:other:r1';
    await admin.rpush(other, 'theirs');
    await refused(member.blpop(other, 1));
    await refused(member.lpop(other));
    await refused(member.rpush(other, 'x'));
    await refused(member.expire(other, 60));
    await refused(member.del(other));
    await refused(member.rpush(`bus:reply:${keyId}:r1`, 'forged reply')); // replies are written by the platform
    for (const key of [`mfa:verify:${run}`, `${QUEUE_PREFIX}:audit-events:wait`, `${QUEUE_PREFIX}:audit-events:meta`, 'anything']) {
      await refused(member.del(key));
      await refused(member.expire(key, 1));
      await refused(member.rpush(key, 'x'));
      await refused(member.call('GET', key));
    }
    expect(await admin.lrange(other, 0, -1)).toEqual(['theirs']);
  });

  it('and runs no admin command', async () => {
    await refused(member.flushdb());
    await refused(member.flushall());
    await refused(member.call('CONFIG', 'GET', '*'));
    await refused(member.call('KEYS', '*'));
    await refused(member.call('INFO'));
    await refused(member.select(TEST_REDIS_DB === 0 ? 1 : 0));
    await refused(member.call('EVAL', 'return 1', 0));
  });

  it("the platform's user runs BullMQ and the bus's consumer group reads, but cannot wipe the server", async () => {
    const queueName = `acl-test-${run}`;
    // the URL form the services use (REDIS_URL with the user and password in it)
    const connection = { url: `redis://${platformUser}:${platformPassword}@127.0.0.1:6379/${TEST_REDIS_DB}`, maxRetriesPerRequest: null };
    const queue = new Queue(queueName, { connection, prefix: QUEUE_PREFIX });
    const seen: unknown[] = [];
    const worker = new Worker(queueName, async (job) => void seen.push(job.data), { connection, prefix: QUEUE_PREFIX });
    try {
      await queue.add('n', { v: 1 });
      await waitFor(() => seen.length === 1);
      expect(seen).toEqual([{ v: 1 }]);
    } finally {
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
    }

    const stream = `acl-test-stream-${run}`;
    await platform.xgroup('CREATE', stream, 'svc', '$', 'MKSTREAM');
    await platform.xadd(stream, '*', 'id', 'r1');
    const read = (await platform.xreadgroup('GROUP', 'svc', 'c1', 'COUNT', 10, 'STREAMS', stream, '>')) as Array<
      [string, Array<[string, string[]]>]
    >;
    expect(read[0][1][0][1]).toEqual(['id', 'r1']);
    await refused(platform.flushall());
    await refused(platform.flushdb());
    await refused(platform.call('CONFIG', 'SET', 'save', ''));
    await refused(platform.call('ACL', 'LIST'));
    await refused(platform.select(TEST_REDIS_DB === 0 ? 1 : 0));
  });
});
