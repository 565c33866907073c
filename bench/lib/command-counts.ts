import { readFileSync } from 'node:fs';
import { createRedis, isCluster, masters, type RedisConnection } from '@mfa/bus';
import { fmt } from './stats';

/** Calls per command name on each master (INFO commandstats), keyed by the master's host:port. */
export type CommandCounts = Map<string, Map<string, number>>;

/** CPU seconds (user + sys, INFO cpu) of the masters and of the replicas (none on one Redis). */
export interface Snapshot {
  calls: CommandCounts;
  masterCpu: number;
  replicaCpu: number;
  /** CPU seconds of the service processes named (mfa-service) and of this process (the load's client) */
  serviceCpu: number;
  clientCpu: number;
}

/** utime + stime of a process, in seconds (clock ticks of 10 ms on Linux) */
function processCpu(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const cpuOf = (info: string) =>
  Number(/used_cpu_user:([\d.]+)/.exec(info)?.[1] ?? 0) + Number(/used_cpu_sys:([\d.]+)/.exec(info)?.[1] ?? 0);

/**
 * Counts the Redis commands a phase of load costs: INFO commandstats of every master before and
 * after (one Redis: itself). What scales with masters on a cluster is the per-master share.
 * Background commands of the services (claims, health checks) are counted too; over thousands of
 * requests they are noise.
 */
export class CommandCounter {
  private readonly conn: RedisConnection;

  constructor(
    redisUrl: string,
    private readonly servicePids: () => number[] = () => [],
  ) {
    this.conn = createRedis(redisUrl);
  }

  async snapshot(): Promise<Snapshot> {
    const nodes = masters(this.conn);
    const replicas = isCluster(this.conn) ? this.conn.nodes('slave') : [];
    const [infos, cpus, replicaCpus] = await Promise.all([
      Promise.all(nodes.map((n) => n.info('commandstats'))),
      Promise.all(nodes.map((n) => n.info('cpu'))),
      Promise.all(replicas.map((n) => n.info('cpu'))),
    ]);
    const calls: CommandCounts = new Map(
      nodes.map((n, i) => {
        const byCommand = new Map<string, number>();
        for (const m of infos[i].matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) byCommand.set(m[1], Number(m[2]));
        return [`${n.options.host}:${n.options.port}`, byCommand];
      }),
    );
    const sum = (xs: string[]) => xs.reduce((a, info) => a + cpuOf(info), 0);
    const { user, system } = process.cpuUsage();
    return {
      calls,
      masterCpu: sum(cpus),
      replicaCpu: sum(replicaCpus),
      serviceCpu: this.servicePids().reduce((a, pid) => a + processCpu(pid), 0),
      clientCpu: (user + system) / 1e6,
    };
  }

  close(): void {
    this.conn.disconnect();
  }
}

/**
 * Commands per request between two snapshots: in all, per master, the busiest commands (those a
 * Lua script runs count too), and the Redis CPU time per request (masters, replicas).
 */
export function perRequest(s0: Snapshot, s1: Snapshot, requests: number): string {
  const [before, after] = [s0.calls, s1.calls];
  const byCommand = new Map<string, number>();
  const byMaster: string[] = [];
  for (const [node, calls] of after) {
    let sum = 0;
    for (const [cmd, n] of calls) {
      const d = n - (before.get(node)?.get(cmd) ?? 0);
      if (d <= 0 || cmd === 'info') continue;
      sum += d;
      byCommand.set(cmd, (byCommand.get(cmd) ?? 0) + d);
    }
    byMaster.push(fmt(sum / requests, 1));
  }
  const total = [...byCommand.values()].reduce((a, b) => a + b, 0);
  const top = [...byCommand]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([cmd, n]) => `${cmd} ${fmt(n / requests, 2)}`)
    .join(', ');
  const us = (cpu: number) => fmt((cpu * 1e6) / requests, 1);
  const cpu =
    `CPU per request: Redis ${us(s1.masterCpu - s0.masterCpu)} µs` +
    (s1.replicaCpu > 0 ? ` + replicas ${us(s1.replicaCpu - s0.replicaCpu)} µs` : '') +
    `, mfa-service ${us(s1.serviceCpu - s0.serviceCpu)} µs, client ${us(s1.clientCpu - s0.clientCpu)} µs`;
  return `${fmt(total / requests, 1)}; ${cpu} (per master ${byMaster.join(' / ')}; ${top})`;
}
