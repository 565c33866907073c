/**
 * The trust model's costs (docs/benchmarks.md, "Trust model costs"):
 * - P7: `mfa.verify` at 100 in flight sent with a member service's key (signature, service-key
 *   directory, account -> org binding) against the same load sent with the platform key
 *   (signature only) and against the no-op ping; CPU of each service per request.
 * - P7b: the gate's signature check in process (HMAC-SHA256 of the entry + constant-time
 *   compare) against the mfa-service CPU one verify costs (measured in P7).
 * - P8: org B's verify p99 while org A floods `mfa.recovery-codes.generate` (from another
 *   process, signed with org A's service key) against org B's verify p99 with no flood.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Bus, BusClient, signEntry } from '@mfa/bus';
import { InternalPatterns, Patterns } from '@mfa/contracts';
import { constantTimeEqual } from '@mfa/crypto';
import { AdminApi, addMembers, createOrg, currentCode, enrollTotp, type EnrolledAccount } from './lib/fixture';
import { closedLoop, type LoadResult } from './lib/load';
import { procCpuSeconds, procThreadCpuSeconds, repoRoot, type ServiceProcess } from './lib/service-process';
import { fmt, median, type BenchRow } from './lib/stats';
import type { FloodCounts } from './flood';

const STEP_MS = 30_000;
const step = () => Math.floor(Date.now() / STEP_MS);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Accounts whose TOTP device may verify once per time step (a code of a step already accepted
 * is a replay): a phase on the set first waits for a step later than the one it last used.
 */
class AccountSet {
  private lastStep = step() - 1; // enrollment accepted the two previous steps' codes
  constructor(readonly accounts: EnrolledAccount[]) {}
  async ready(): Promise<void> {
    while (step() <= this.lastStep) await sleep((this.lastStep + 1) * STEP_MS - Date.now() + 50);
  }
  used(): void {
    this.lastStep = step();
  }
}

function verifier(bus: Bus, accounts: EnrolledAccount[]) {
  return async (i: number) => {
    const { accountId, secret } = accounts[i];
    const reply = await bus.send(Patterns.MfaVerify, { accountId, code: currentCode(secret) });
    if (!reply.valid) throw new Error(`verify rejected: ${reply.reason}`);
  };
}

interface Phase extends LoadResult {
  /** CPU seconds used during the phase, per service name (instances summed), and by this process */
  cpu: Record<string, number>;
  /** mfa-service's CPU seconds on its main thread (event loop) and on its other threads (threadpool, GC) */
  mfaThreads: { main: number; others: number };
  wallSeconds: number;
  /** share of the machine's CPU time that was busy during the phase (all processes, ours and others') */
  machineBusy: number;
}

function machineTicks(): { busy: number; total: number } {
  const [, ...v] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - v[3] - v[4], total };
}

async function measured(services: ServiceProcess[], work: () => Promise<LoadResult>): Promise<Phase> {
  const mfa = services.filter((s) => s.name === 'mfa-service');
  const threads = () =>
    mfa
      .map((s) => procThreadCpuSeconds(s.pid))
      .reduce((a, b) => ({ main: a.main + b.main, others: a.others + b.others }), { main: 0, others: 0 });
  const threads0 = threads();
  const m0 = machineTicks();
  const before = services.map((s) => s.cpuSeconds());
  const self0 = procCpuSeconds(process.pid);
  const t0 = Date.now();
  const result = await work();
  const wallSeconds = (Date.now() - t0) / 1000;
  const cpu: Record<string, number> = { bench: procCpuSeconds(process.pid) - self0 };
  services.forEach((s, i) => (cpu[s.name] = (cpu[s.name] ?? 0) + s.cpuSeconds() - before[i]));
  const threads1 = threads();
  const m1 = machineTicks();
  const machineBusy = (m1.busy - m0.busy) / Math.max(1, m1.total - m0.total);
  return {
    ...result,
    cpu,
    mfaThreads: { main: threads1.main - threads0.main, others: threads1.others - threads0.others },
    wallSeconds,
    machineBusy,
  };
}

async function verifyPhase(services: ServiceProcess[], bus: Bus, set: AccountSet): Promise<Phase> {
  await set.ready();
  const phase = await measured(services, () => closedLoop(set.accounts.length, 100, verifier(bus, set.accounts)));
  set.used();
  return phase;
}

const perRequestMs = (p: Phase, service: string) => ((p.cpu[service] ?? 0) * 1000) / Math.max(1, p.count);
const cpuLine = (p: Phase) =>
  `mfa ${fmt(perRequestMs(p, 'mfa-service'), 3)} / accounts ${fmt(perRequestMs(p, 'account-service'), 3)} ms CPU per request`;

/** P7b: the gate's signature check of one verify entry (HMAC-SHA256 + hex + constant-time compare), median of 5 rounds. */
export function gateCheckMicros(n: number): number {
  const secret = 'a'.repeat(43); // a service key secret is base64url of 32 bytes
  const id = randomUUID();
  const deadline = String(Date.now() + 5000);
  const replyTo = `bus:reply:svc_${randomUUID()}:${randomUUID()}`;
  const data = Buffer.from(JSON.stringify({ accountId: randomUUID(), code: '123456' }));
  const sig = signEntry(secret, id, Patterns.MfaVerify, deadline, replyTo, data);
  let ok = 0;
  const rounds: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      const expected = signEntry(secret, id, Patterns.MfaVerify, deadline, replyTo, data);
      if (constantTimeEqual(expected, sig.toLowerCase())) ok++;
    }
    rounds.push(Number(process.hrtime.bigint() - t0) / 1000 / n);
  }
  if (ok !== 5 * n) throw new Error('gate check: signature mismatch');
  return median(rounds);
}

export interface TrustOptions {
  services: ServiceProcess[];
  platform: AdminApi;
  platformBus: Bus;
  redisUrl: string;
  /** verifies per phase (two account sets of this size are enrolled) */
  verifies: number;
  /** org A accounts flooding recovery codes */
  floodAccounts: number;
  floodInFlight: number;
  only: Set<string>;
  log: (line: string) => void;
}

export async function trustCosts(o: TrustOptions): Promise<{ rows: BenchRow[] }> {
  const rows: BenchRow[] = [];
  const { services, log } = o;

  // org B: the verifying org, its member service signs with its own service key
  log(`P7/P8 enrolling ${2 * o.verifies} TOTP devices of org B over the bus`);
  const { orgId: orgB, admin: adminB } = await createOrg(o.platform, 'trust-b');
  const keyB = await adminB.call<{ id: string; secret: string }>('POST', `/v1/orgs/${orgB}/service-keys`, {
    name: 'org B app',
    scopes: ['verify'],
  });
  const ids = await addMembers(adminB, orgB, 2 * o.verifies, 'tb');
  const enrolled = await enrollTotp(o.platformBus, ids);
  const [x, y] = [new AccountSet(enrolled.slice(0, o.verifies)), new AccountSet(enrolled.slice(o.verifies))];
  const clientB = new BusClient({ redisUrl: o.redisUrl, timeoutMs: 30_000, credentials: { keyId: keyB.id, secret: keyB.secret } });
  await clientB.connect();
  const busB = new Bus(clientB);
  try {
    if (o.only.has('p7')) rows.push(...(await memberVsPlatform()));
    if (o.only.has('p8')) rows.push(...(await fairness()));
  } finally {
    await clientB.close();
  }
  return { rows };

  async function memberVsPlatform(): Promise<BenchRow[]> {
    const ping = () => closedLoop(Math.max(o.verifies, 5000), 100, () => o.platformBus.send(InternalPatterns.MfaPing, {}));
    await closedLoop(500, 100, () => o.platformBus.send(InternalPatterns.MfaPing, {})); // warm-up
    const noop: Phase[] = [];
    const platform: Phase[] = [];
    const member: Phase[] = [];
    // four rounds, each a no-op phase then both sides, in the order platform/member,
    // member/platform, platform/member, member/platform; each set once per round. Rounds 1-2:
    // every account is new to the member path (mfa-service's account -> org cache is cold, as
    // in P3, where each account verifies once); rounds 3-4: the same accounts again (cached).
    for (let round = 1; round <= 4; round++) {
      const platformFirst = round % 2 === 1;
      log(
        `P7 round ${round}/4: no-op, then ${platformFirst ? 'platform key, member key' : 'member key, platform key'} (${round <= 2 ? 'cold' : 'warm'} org cache)`,
      );
      noop.push(await measured(services, ping));
      if (platformFirst) {
        platform.push(await verifyPhase(services, o.platformBus, x));
        member.push(await verifyPhase(services, busB, y));
      } else {
        member.push(await verifyPhase(services, busB, x));
        platform.push(await verifyPhase(services, o.platformBus, y));
      }
    }
    const mid = (ps: Phase[], f: (p: Phase) => number) => median(ps.map(f));
    const rate = (ps: Phase[]) => mid(ps, (p) => p.perSecond);
    const p99 = (ps: Phase[]) => mid(ps, (p) => p.p99);
    const errors = [...platform, ...member].reduce((s, p) => s + p.errors, 0);
    const byRound = (ps: Phase[]) => ps.map((p) => fmt(p.perSecond, 0)).join(', ');
    // each member phase against the platform phase of the same round (same minute on a shared
    // box). The first verify phase of a round measured slower whichever side it was (an order
    // effect as large as the difference sought), so each pair of rounds (one of each order) is
    // summarized by the geometric mean of its two ratios, which cancels a constant order factor.
    const paired = member.map((p, i) => p.perSecond / platform[i].perSecond);
    const cold = Math.sqrt(paired[0] * paired[1]);
    const warm = Math.sqrt(paired[2] * paired[3]);
    const [m, pl, nop] = [rate(member), rate(platform), rate(noop)];
    log(
      `P7 machine CPU busy: platform ${platform.map((p) => fmt(p.machineBusy * 100, 0)).join('/')}%, member ${member.map((p) => fmt(p.machineBusy * 100, 0)).join('/')}%`,
    );
    log(
      `P7 CPU per request: platform ${platform.map(cpuLine).join(' | ')}; member ${member.map(cpuLine).join(' | ')}; no-op ${noop.map(cpuLine).join(' | ')}`,
    );
    log(`P7 member/platform per round: ${paired.map((r) => fmt(r)).join(', ')}`);
    const mfaMsPerVerify = mid(platform, (p) => perRequestMs(p, 'mfa-service'));
    const gateUs = gateCheckMicros(200_000);
    log(`P7b gate check ${fmt(gateUs, 3)} µs per entry; mfa-service ${fmt(mfaMsPerVerify, 3)} ms CPU per verify`);
    const cpuOf = (ps: Phase[]) =>
      `${fmt(
        mid(ps, (p) => perRequestMs(p, 'mfa-service')),
        3,
      )} + ${fmt(
        mid(ps, (p) => perRequestMs(p, 'account-service')),
        3,
      )} ms CPU/verify (mfa + accounts)`;
    return [
      {
        id: 'P7',
        what: `mfa.verify, 100 in flight, sent by a member service key (signature + key directory + account->org binding), 4 rounds, order alternating (n=${o.verifies} each${errors ? `, ${errors} errors` : ''}; rounds ${byRound(member)}/s; member/platform per round ${paired.map((r) => fmt(r)).join(', ')})`,
        figure: `${fmt(m, 0)}/s, p99 ${fmt(p99(member))} ms; ${cpuOf(member)}`,
        baseline: `platform key (signature only) ${fmt(pl, 0)}/s, p99 ${fmt(p99(platform))} ms; ${cpuOf(platform)} (rounds ${byRound(platform)}/s)`,
        ratio: `same-round ratios, geometric mean per order pair: cold org cache (rounds 1-2) ${fmt(cold * 100, 0)}%, warm (3-4) ${fmt(warm * 100, 0)}% of rate; ${fmt(p99(member) / p99(platform))}x p99 (medians)`,
        goal: 'under 10% lost',
        met: cold >= 0.9 && warm >= 0.9 && errors === 0,
      },
      {
        id: 'P7',
        what: '... the same member-key verify against the no-op ping (platform key, no database), same rounds',
        figure: `${fmt(m, 0)}/s, p99 ${fmt(p99(member))} ms`,
        baseline: `no-op ${fmt(nop, 0)}/s, p99 ${fmt(p99(noop))} ms (rounds ${byRound(noop)}/s)`,
        ratio: `${fmt((m / nop) * 100, 0)}% of rate, ${fmt(p99(member) / p99(noop))}x p99`,
        goal: '>= 40% of rate (as P3)',
        met: m / nop >= 0.4 && errors === 0,
      },
      {
        id: 'P7b',
        what: "the gate's signature check of one verify entry, in process: HMAC-SHA256 of id/pattern/deadline/replyTo/data + hex + constant-time compare (n=200000, median of 5); the sender signs once more (same cost)",
        figure: `${fmt(gateUs, 2)} µs per entry (x2 with the sender's signing: ${fmt(2 * gateUs, 2)} µs)`,
        baseline: `mfa-service CPU per verify in P7 (platform key): ${fmt(mfaMsPerVerify * 1000, 0)} µs`,
        ratio: `${fmt(((2 * gateUs) / (mfaMsPerVerify * 1000)) * 100, 1)}% of it (sign + check)`,
        goal: 'under 10%',
        met: (2 * gateUs) / (mfaMsPerVerify * 1000) < 0.1,
      },
    ];
  }

  async function fairness(): Promise<BenchRow[]> {
    log(`P8 org A: ${o.floodAccounts} members without a device, a service key with the recovery scope`);
    const { orgId: orgA, admin: adminA } = await createOrg(o.platform, 'trust-a-flood');
    const keyA = await adminA.call<{ id: string; secret: string }>('POST', `/v1/orgs/${orgA}/service-keys`, {
      name: 'org A app',
      scopes: ['recovery'],
    });
    const floodIds = await addMembers(adminA, orgA, o.floodAccounts, 'ta');

    log('P8 org B verify alone (1/2)');
    const alone1 = await verifyPhase(services, busB, x);
    log(`P8 org A floods recovery-codes.generate (${o.floodInFlight} in flight, own process); org B verifies`);
    const flood = startFlood({
      redisUrl: o.redisUrl,
      keyId: keyA.id,
      secret: keyA.secret,
      accountIds: floodIds,
      inFlight: o.floodInFlight,
    });
    await flood.started;
    await sleep(3000); // org A's queue fills, the scrypt threadpool is busy
    await y.ready();
    const floodCpu0 = procCpuSeconds(flood.pid);
    const underFlood = await measured(services, () => closedLoop(y.accounts.length, 100, verifier(busB, y.accounts)));
    y.used();
    const floodClientCpu = procCpuSeconds(flood.pid) - floodCpu0;
    const counts = await flood.stop();
    log(
      `P8 flood: ${JSON.stringify(counts)}; during org B's phase the flood client used ${fmt(floodClientCpu)} s CPU in ${fmt(underFlood.wallSeconds)} s`,
    );
    log(
      `P8 CPU seconds per phase: alone ${JSON.stringify([alone1.cpu, alone1.mfaThreads])}, flood ${JSON.stringify([underFlood.cpu, underFlood.mfaThreads])}`,
    );
    log('P8 org B verify alone (2/2), after the flood drained');
    const alone2 = await verifyPhase(services, busB, x);

    const alone = [alone1, alone2];
    const aloneP99 = median(alone.map((p) => p.p99));
    const aloneRate = median(alone.map((p) => p.perSecond));
    const split = (p: Phase) => `${fmt(p.mfaThreads.main / p.wallSeconds)} + ${fmt(p.mfaThreads.others / p.wallSeconds)}`;
    const mfaCores = `mfa-service cores, event loop + other threads (threadpool: scrypt): ${split(underFlood)} under flood, ${alone.map(split).join(' / ')} alone; machine CPU busy ${fmt(underFlood.machineBusy * 100, 0)}% under flood, ${alone.map((p) => fmt(p.machineBusy * 100, 0)).join(' / ')}% alone`;
    const tail = underFlood.p99 / aloneP99;
    const errs = underFlood.errors + alone1.errors + alone2.errors;
    return [
      {
        id: 'P8',
        what: `org B mfa.verify, 100 in flight (n=${o.verifies}${errs ? `, ${errs} errors` : ''}) while org A floods mfa.recovery-codes.generate from ${o.floodAccounts} accounts, ${o.floodInFlight} in flight (flood: ${counts.generated} sets made, ${counts.queueFull} refused queue full, ${counts.accountLimit} refused hourly limit, ${fmt(counts.sentActive / counts.activeSeconds, 0)} requests/s for ${fmt(counts.activeSeconds, 1)} s, drained in ${fmt(counts.seconds - counts.activeSeconds, 1)} s); ${mfaCores}, flood client ${fmt(floodClientCpu / underFlood.wallSeconds)} cores`,
        figure: `p99 ${fmt(underFlood.p99)} ms, p50 ${fmt(underFlood.p50)} ms, ${fmt(underFlood.perSecond, 0)}/s`,
        baseline: `no flood (median of before/after): p99 ${fmt(aloneP99)} ms (${alone.map((p) => fmt(p.p99)).join(', ')}), p50 ${fmt(median(alone.map((p) => p.p50)))} ms, ${fmt(aloneRate, 0)}/s`,
        ratio: `${fmt(tail)}x p99, ${fmt((underFlood.perSecond / aloneRate) * 100, 0)}% of rate`,
        goal: 'p99 <= 2.5x',
        met: tail <= 2.5 && errs === 0,
      },
    ];
  }
}

interface RunningFlood {
  pid: number;
  started: Promise<void>;
  stop(): Promise<FloodCounts>;
}

function startFlood(input: { redisUrl: string; keyId: string; secret: string; accountIds: string[]; inFlight: number }): RunningFlood {
  const child = spawn(process.execPath, [join(repoRoot(), 'dist/bench/flood.js')], { stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdin.end(JSON.stringify(input));
  let out = '';
  let onStarted: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (onStarted = resolve));
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
    if (out.includes('started\n')) onStarted();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return {
    pid: child.pid!,
    started: Promise.race([started, exited.then((code) => Promise.reject(new Error(`flood exited with ${code}`)))]),
    async stop() {
      child.kill('SIGTERM');
      const code = await exited;
      const line = out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .pop();
      if (code !== 0 || !line) throw new Error(`flood exited with ${code}: ${out.slice(-300)}`);
      return JSON.parse(line) as FloodCounts;
    },
  };
}
