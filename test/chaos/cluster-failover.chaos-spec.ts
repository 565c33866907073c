/**
 * A Redis Cluster master killed (SIGKILL) under load, with the services as real processes on the
 * cluster (`npm run test:cluster`: REDIS_CLUSTER_NODES, BUS_PARTITIONS=3). What it shows
 * (docs/operations.md, "A master fails"): nothing acknowledged is lost (every request answered ok
 * is visible afterwards), a request in flight at the kill is answered late, retried by the client
 * or fails with a named error (`unavailable`, `timeout`) and never hangs, and the system serves
 * again once the replica has taken over. The killed node is restarted at the end (it rejoins as a
 * replica).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CreateTotpDeviceReply, Patterns } from '@mfa/contracts';
import { TEST_CLUSTER_NODES } from '@mfa/testing';
import { addMembers } from '../../bench/lib/fixture';
import { Deployment } from './deployment';

const ROOT = join(__dirname, '../..');
const FIRST_PORT = Number(process.env.REDIS_CLUSTER_FIRST_PORT ?? 7000);
const PORTS = Array.from({ length: 6 }, (_, i) => FIRST_PORT + i);
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

function cli(port: number, ...args: string[]): string {
  return execFileSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8', timeout: 5000 });
}

/** The port of the master serving `key`'s slot, as `via` sees the cluster (null: none up). */
function masterOf(key: string, via: number): number | null {
  const slot = Number(cli(via, 'CLUSTER', 'KEYSLOT', key).trim());
  for (const line of cli(via, 'CLUSTER', 'NODES').trim().split('\n')) {
    const [, addr, flags, , , , , , ...ranges] = line.trim().split(' ');
    if (!flags.split(',').includes('master') || flags.includes('fail')) continue;
    for (const range of ranges) {
      if (range.startsWith('[')) continue; // a slot being migrated
      const [from, to = from] = range.split('-').map(Number);
      if (slot >= from && slot <= to) return Number(addr.split('@')[0].split(':')[1]);
    }
  }
  return null;
}

const clusterOk = (via: number) => /cluster_state:ok/.test(cli(via, 'CLUSTER', 'INFO'));

const run = TEST_CLUSTER_NODES ? describe : describe.skip;

run('a Redis Cluster master killed under load (real processes)', () => {
  const system = new Deployment();

  beforeAll(async () => {
    await system.start();
  });
  afterAll(async () => {
    await system.stop();
    // the killed node comes back as a replica of the master that took over
    execFileSync('bash', [join(ROOT, 'scripts/redis-cluster.sh'), 'start', String(FIRST_PORT)], { stdio: 'ignore', timeout: 60_000 });
  });

  it('loses nothing acknowledged, answers or names every request in flight, and serves again after the failover', async () => {
    const { orgId, admin } = await system.newOrg();
    const members = await addMembers(admin, orgId, 100, 'failover');
    // the master of a request stream partition: its stream, the replies and marks on it go down with it
    const victim = masterOf('bus:mfa:requests:0', FIRST_PORT)!;
    const survivor = PORTS.find((p) => p !== victim)!;
    const pid = Number(readFileSync(join(ROOT, '.redis-cluster', String(victim), 'redis.pid'), 'utf8').trim());

    // a closed loop of device creations (each a row in Postgres, visible in devices.list)
    const acknowledged: Array<{ accountId: string; serialNumber: string }> = [];
    const failures = new Map<string, number>();
    let next = 0;
    let running = true;
    const worker = async () => {
      while (running && next < 700) {
        const i = next++;
        const accountId = members[i % members.length];
        try {
          const device = (await system.bus.send(
            Patterns.MfaDevicesCreate,
            { accountId, type: 'totp', name: `d${i}` },
            { timeoutMs: 10_000 },
          )) as CreateTotpDeviceReply;
          acknowledged.push({ accountId, serialNumber: device.serialNumber });
        } catch (err) {
          const code = (err as { code?: string }).code ?? 'no code';
          failures.set(code, (failures.get(code) ?? 0) + 1);
        }
      }
    };
    const load = Promise.all(Array.from({ length: 4 }, worker));

    await wait(3000);
    const before = acknowledged.length;
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    // the replica is promoted once the others agree the master failed (cluster-node-timeout 2 s)
    let tookOver: number;
    for (;;) {
      await wait(200);
      try {
        const owner = masterOf('bus:mfa:requests:0', survivor);
        if (owner !== null && owner !== victim && clusterOk(survivor)) {
          tookOver = Date.now() - killedAt;
          break;
        }
      } catch {
        // a node busy with the failover: ask again
      }
      if (Date.now() - killedAt > 30_000) throw new Error('no replica took over within 30 s');
    }
    const atTakeover = acknowledged.length;
    await wait(5000); // load goes on against the new master
    running = false;
    await load;

    // served again: a request after the failover is answered
    const fresh = (await system.bus.send(Patterns.MfaDevicesList, { accountId: members[0] }, { timeoutMs: 10_000 })) as {
      items: unknown[];
    };
    expect(Array.isArray(fresh.items)).toBe(true);
    expect(acknowledged.length).toBeGreaterThan(atTakeover); // and kept being served under the load

    // nothing acknowledged is lost: every device whose creation was answered ok exists
    const byAccount = new Map<string, Set<string>>();
    for (const { accountId, serialNumber } of acknowledged)
      byAccount.set(accountId, (byAccount.get(accountId) ?? new Set()).add(serialNumber));
    for (const [accountId, serials] of byAccount) {
      const listed = (await system.bus.send(Patterns.MfaDevicesList, { accountId }, { timeoutMs: 10_000 })) as {
        items: Array<{ serialNumber: string }>;
      };
      const have = new Set(listed.items.map((d) => d.serialNumber));
      for (const serial of serials) expect(have.has(serial)).toBe(true);
    }

    // what was in flight failed with a named error, never anything else
    for (const code of failures.keys()) expect(['unavailable', 'timeout']).toContain(code);
    const failed = [...failures.values()].reduce((a, b) => a + b, 0);
    console.log(
      `cluster failover: replica took over ${tookOver} ms after the kill; ${acknowledged.length} acknowledged ` +
        `(${before} before the kill, ${atTakeover - before} during the failover), all visible afterwards; ` +
        `${failed} failed (${[...failures].map(([c, n]) => `${c}: ${n}`).join(', ') || 'none'})`,
    );
  });
});
