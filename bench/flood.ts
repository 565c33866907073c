/**
 * P8's flood, as its own process (so its event loop does not delay the measuring client's):
 * `mfa.recovery-codes.generate` for many accounts of one org, signed with that org's service
 * key, `inFlight` outstanding at all times, round robin over the accounts, until SIGTERM. Then it
 * waits for the requests in flight (so the server's queue of this org is empty when it exits)
 * and prints one JSON line of counts on stdout.
 *
 * Input on stdin, JSON: {redisUrl, keyId, secret, accountIds, inFlight}.
 */
import 'reflect-metadata';
import { AppError, Patterns } from '@mfa/contracts';
import { Bus, BusClient } from '@mfa/bus';

interface FloodInput {
  redisUrl: string;
  keyId: string;
  secret: string;
  accountIds: string[];
  inFlight: number;
}
export interface FloodCounts {
  sent: number;
  /** sets generated (10 scrypt hashes each) */
  generated: number;
  /** refused at once: this org already had 50 expensive requests queued (FairScheduler) */
  queueFull: number;
  /** refused: the account's 5 sets an hour were used */
  accountLimit: number;
  otherErrors: Record<string, number>;
  /** from the first request until SIGTERM, and the requests sent meanwhile */
  activeSeconds: number;
  sentActive: number;
  /** until the last request in flight was answered */
  seconds: number;
  cpuSeconds: number;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function main(): Promise<void> {
  const input = JSON.parse(await readStdin()) as FloodInput;
  const client = new BusClient({ redisUrl: input.redisUrl, timeoutMs: 60_000, credentials: { keyId: input.keyId, secret: input.secret } });
  await client.connect();
  const bus = new Bus(client);
  let stopping = false;
  process.on('SIGTERM', () => {
    stopping = true;
    counts.activeSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    counts.sentActive = counts.sent;
  });
  const counts: FloodCounts = {
    sent: 0,
    generated: 0,
    queueFull: 0,
    accountLimit: 0,
    otherErrors: {},
    activeSeconds: 0,
    sentActive: 0,
    seconds: 0,
    cpuSeconds: 0,
  };
  const exhausted = new Set<number>();
  let next = 0;
  const started = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  process.stdout.write('started\n');

  async function worker(): Promise<void> {
    while (!stopping && exhausted.size < input.accountIds.length) {
      let i = next++ % input.accountIds.length;
      while (exhausted.has(i)) i = next++ % input.accountIds.length;
      counts.sent++;
      try {
        await bus.send(Patterns.MfaRecoveryCodesGenerate, { accountId: input.accountIds[i] });
        counts.generated++;
      } catch (err) {
        const message = err instanceof AppError ? err.message : String(err);
        const code = err instanceof AppError ? err.code : 'exception';
        if (message.startsWith('too many expensive requests')) counts.queueFull++;
        else if (message.startsWith('too many recovery-code sets')) {
          counts.accountLimit++;
          exhausted.add(i);
        } else counts.otherErrors[code] = (counts.otherErrors[code] ?? 0) + 1;
      }
    }
  }
  await Promise.all(Array.from({ length: input.inFlight }, worker));
  counts.seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  counts.cpuSeconds = (cpu.user + cpu.system) / 1e6;
  await client.close();
  process.stdout.write(JSON.stringify(counts) + '\n');
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
