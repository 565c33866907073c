import type { Bus } from '@mfa/bus';
import { InternalPatterns, Patterns } from '@mfa/contracts';
import { currentCode, type EnrolledAccount } from './lib/fixture';
import { type CommandCounter, perRequest } from './lib/command-counts';
import { closedLoop, type LoadResult } from './lib/load';
import type { ServiceProcess } from './lib/service-process';
import { fmt, type BenchRow } from './lib/stats';

const noop = (bus: Bus) => () => bus.send(InternalPatterns.MfaPing, {});

function verifier(bus: Bus, accounts: EnrolledAccount[]) {
  return async (i: number) => {
    const { accountId, secret } = accounts[i];
    const reply = await bus.send(Patterns.MfaVerify, { accountId, code: currentCode(secret) });
    // a benchmark of rejections would measure the wrong path
    if (!reply.valid) throw new Error(`verify rejected: ${reply.reason}`);
  };
}

/** A closed loop with the CPU the given processes (the mfa-service instances) spent on it, in ms per request. */
async function withCpu(mfa: ServiceProcess[], total: number, inFlight: number, send: (i: number) => Promise<unknown>) {
  const cpu = () => mfa.reduce((sum, s) => sum + s.cpuSeconds(), 0);
  const before = cpu();
  const load = await closedLoop(total, inFlight, send);
  return { ...load, cpuMs: ((cpu() - before) * 1000) / Math.max(1, total) };
}

const cpuNote = (verify: { cpuMs: number }, base: { cpuMs: number }) =>
  `; mfa-service CPU ${fmt(verify.cpuMs, 3)} ms/verify, ${fmt(base.cpuMs, 3)} ms/no-op`;

/** P4: one request at a time, no-op against mfa.verify; `mfa`: the mfa-service processes, whose CPU per request is shown. */
export async function sequentialLatency(
  bus: Bus,
  accounts: EnrolledAccount[],
  mfa: ServiceProcess[] = [],
): Promise<{ rows: BenchRow[]; raw: Record<string, LoadResult> }> {
  await closedLoop(200, 1, noop(bus)); // warm-up
  const base = await withCpu(mfa, accounts.length, 1, noop(bus));
  const verify = await withCpu(mfa, accounts.length, 1, verifier(bus, accounts));
  return {
    raw: { noop: base, verify },
    rows: [
      {
        id: 'P4',
        what: `sequential mfa.verify latency p50 / p99 (n=${accounts.length})`,
        figure: `${fmt(verify.p50, 3)} / ${fmt(verify.p99, 3)} ms${mfa.length ? cpuNote(verify, base) : ''}`,
        baseline: `no-op ${fmt(base.p50, 3)} / ${fmt(base.p99, 3)} ms`,
        ratio: `${fmt(verify.p50 / base.p50)}x p50`,
        goal: 'p50 <= 1 ms',
        met: verify.p50 <= 1 && verify.errors === 0,
      },
    ],
  };
}

/**
 * P3: 100 in flight, no-op against mfa.verify, with however many instances are running (`mfa`: as
 * for P4). With a `counter`, also the Redis commands and CPU each costs (P3c).
 */
export async function throughput(
  bus: Bus,
  accounts: EnrolledAccount[],
  label: string,
  mfa: ServiceProcess[] = [],
  counter?: CommandCounter,
): Promise<{ rows: BenchRow[]; raw: Record<string, LoadResult> }> {
  await closedLoop(500, 100, noop(bus)); // warm-up
  const s0 = await counter?.snapshot();
  const base = await withCpu(mfa, Math.max(accounts.length, 5000), 100, noop(bus));
  const s1 = await counter?.snapshot();
  const verify = await withCpu(mfa, accounts.length, 100, verifier(bus, accounts));
  const s2 = await counter?.snapshot();
  const share = verify.perSecond / base.perSecond;
  const tail = verify.p99 / base.p99;
  return {
    raw: { noop: base, verify },
    rows: [
      {
        id: 'P3',
        what: `mfa.verify, 100 in flight, ${label} (n=${accounts.length}${verify.errors ? `, ${verify.errors} errors` : ''})`,
        figure: `${fmt(verify.perSecond, 0)}/s, p99 ${fmt(verify.p99)} ms${mfa.length ? cpuNote(verify, base) : ''}`,
        baseline: `no-op ${fmt(base.perSecond, 0)}/s, p99 ${fmt(base.p99)} ms`,
        ratio: `${fmt(share * 100, 0)}% of rate, ${fmt(tail)}x p99`,
        goal: '>= 40% of rate, p99 <= 2.5x',
        met: share >= 0.4 && tail <= 2.5 && verify.errors === 0,
      },
      ...(s0 && s1 && s2
        ? [
            {
              id: 'P3c',
              what: `Redis commands per request (INFO commandstats of every master), ${label}`,
              figure: `verify ${perRequest(s1, s2, accounts.length)}`,
              baseline: `no-op ${perRequest(s0, s1, Math.max(accounts.length, 5000))}`,
              ratio: '-',
              goal: '-',
              met: null,
            },
          ]
        : []),
    ],
  };
}
