import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { clusterNodesProblem, MfaClient, MfaError } from '@mfa-platform/client';

/**
 * What every command needs: the profile (config file, then environment), the admin API over
 * HTTP, the bus client for member commands, and output. Exit codes (docs/cli.md): 0 ok,
 * 1 usage error (a flag missing or malformed, no credentials), 2 the API or the bus refused
 * (the contract's code is printed).
 */
export const EXIT_USAGE = 1;
export const EXIT_API = 2;

/** A failure that ends the command: printed as one line `mfa: <code>: <message>`. */
export class CliError extends Error {
  constructor(
    readonly exitCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
export const usage = (message: string) => new CliError(EXIT_USAGE, 'usage', message);

export interface Profile {
  apiUrl?: string;
  apiKey?: string;
  orgId?: string;
  redisUrl?: string;
  /** a Redis Cluster's nodes, `host:port,...` (instead of redisUrl) */
  redisClusterNodes?: string;
  /** the services' BUS_PARTITIONS */
  busPartitions?: number;
  serviceKeyId?: string;
  serviceKeySecret?: string;
  output?: 'json' | 'table';
}

export interface GlobalOptions {
  profile?: string;
  output?: string;
  orgId?: string;
}

export function configFile(env = process.env): string {
  return env.MFA_CONFIG_FILE || join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'mfa', 'config.json');
}

export function readConfig(file = configFile()): { profiles: Record<string, Profile> } {
  if (!existsSync(file)) return { profiles: {} };
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8'));
    return { profiles: typeof parsed?.profiles === 'object' && parsed.profiles ? parsed.profiles : {} };
  } catch (err) {
    throw usage(`${file}: not valid JSON (${err.message})`);
  }
}

/** Writes a file only its owner reads (the config holds keys; the cache holds session tokens). */
export function writePrivate(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  // a new file made 0600 then renamed over the old one: an existing file with a looser mode never holds the secret, not even briefly
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600, flag: 'wx' });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

export class Context {
  readonly profileName: string;
  readonly profile: Profile;
  readonly output: 'json' | 'table';
  readonly tty = Boolean(process.stderr.isTTY);
  private client?: MfaClient;

  constructor(
    readonly opts: GlobalOptions,
    env = process.env,
  ) {
    this.profileName = opts.profile ?? env.MFA_PROFILE ?? 'default';
    const stored = readConfig().profiles[this.profileName];
    if (opts.profile && !stored) throw usage(`--profile: no profile "${opts.profile}" in ${configFile()}`);
    const p = { ...stored };
    // the environment wins over the file, like the AWS CLI
    p.apiUrl = env.MFA_API_URL ?? p.apiUrl ?? 'http://127.0.0.1:3000';
    p.apiKey = env.MFA_API_KEY ?? p.apiKey;
    p.orgId = opts.orgId ?? env.MFA_ORG_ID ?? p.orgId;
    // REDIS_URL or REDIS_CLUSTER_NODES from the environment replaces both of the profile's
    if (env.REDIS_URL || env.REDIS_CLUSTER_NODES) {
      p.redisUrl = env.REDIS_URL || undefined;
      p.redisClusterNodes = env.REDIS_CLUSTER_NODES || undefined;
    }
    if (p.redisUrl && p.redisClusterNodes)
      throw usage('REDIS_URL and REDIS_CLUSTER_NODES: both set; give one (REDIS_CLUSTER_NODES for a cluster)');
    if (p.redisClusterNodes) {
      const problem = clusterNodesProblem(p.redisClusterNodes);
      if (problem) throw usage(`REDIS_CLUSTER_NODES: ${problem}`);
    }
    if (env.BUS_PARTITIONS !== undefined && env.BUS_PARTITIONS !== '') {
      const n = Number(env.BUS_PARTITIONS);
      if (!Number.isInteger(n) || n < 1 || n > 64) throw usage('BUS_PARTITIONS: must be an integer from 1 to 64');
      p.busPartitions = n;
    }
    p.serviceKeyId = env.MFA_SERVICE_KEY_ID ?? p.serviceKeyId;
    p.serviceKeySecret = env.MFA_SERVICE_KEY_SECRET ?? p.serviceKeySecret;
    this.profile = p;
    const output = opts.output ?? p.output ?? 'table';
    if (output !== 'json' && output !== 'table') throw usage(`--output: must be json or table, not "${output}"`);
    this.output = output;
  }

  get orgId(): string {
    if (!this.profile.orgId) throw usage('--org-id: required (or MFA_ORG_ID, or orgId in the profile)');
    return this.profile.orgId;
  }

  /** One admin API call; a non-2xx answer becomes a CliError with the contract's code. */
  async api<T = any>(method: string, path: string, body?: unknown, raw = false): Promise<T> {
    if (!this.profile.apiKey) throw usage('MFA_API_KEY: required for admin commands (or apiKey in the profile)');
    let res: Response;
    try {
      res = await fetch(new URL(path, this.profile.apiUrl), {
        method,
        headers: { authorization: `Bearer ${this.profile.apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new CliError(EXIT_API, 'unavailable', `${this.profile.apiUrl}: ${err.cause?.message ?? err.message}`);
    }
    const text = await res.text();
    if (!res.ok) {
      let e: { code?: string; message?: string } = {};
      try {
        e = JSON.parse(text);
      } catch {
        /* not JSON: the status says enough */
      }
      throw Object.assign(new CliError(EXIT_API, e.code ?? `http_${res.status}`, e.message ?? `HTTP ${res.status}`), { body: e });
    }
    if (raw) return text as T;
    return (text ? JSON.parse(text) : null) as T;
  }

  /** The bus client of member commands, signed with the service key. */
  bus(): MfaClient {
    if (this.client) return this.client;
    const { serviceKeyId: keyId, serviceKeySecret: secret, redisUrl, redisClusterNodes, busPartitions } = this.profile;
    if (!keyId || !secret)
      throw usage(
        'MFA_SERVICE_KEY_ID and MFA_SERVICE_KEY_SECRET: required for member commands (or serviceKeyId/serviceKeySecret in the profile)',
      );
    this.client = new MfaClient({
      keyId,
      secret,
      ...(redisClusterNodes ? { clusterNodes: redisClusterNodes } : { redisUrl: redisUrl ?? 'redis://127.0.0.1:6379/5' }),
      partitions: busPartitions ?? 1,
      timeoutMs: 30_000,
    });
    return this.client;
  }

  async close(): Promise<void> {
    await this.client?.close();
  }

  /** Prints a result: JSON as it came, or a table of `columns` (all fields when omitted). */
  print(value: unknown, columns?: string[]): void {
    if (this.output === 'json') return void process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    const rows = Array.isArray(value) ? value : [value];
    process.stdout.write(table(rows as Record<string, unknown>[], columns));
  }

  /** Progress on stderr, only on a terminal (scripts and pipes get clean output). */
  progress(line: string): void {
    if (this.tty) process.stderr.write(`\r\x1b[K${line}`);
  }
  progressDone(): void {
    if (this.tty) process.stderr.write('\n');
  }
}

export function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return v.toString();
  return '';
}

export function table(rows: Record<string, unknown>[], columns?: string[]): string {
  if (rows.length === 0) return '(none)\n';
  const cols = columns ?? [...new Set(rows.flatMap((r) => Object.keys(r ?? {})))];
  const cells = rows.map((r) => cols.map((c) => cell(c.split('.').reduce<any>((o, k) => o?.[k], r))));
  const widths = cols.map((c, i) => Math.min(60, Math.max(c.length, ...cells.map((r) => r[i].length))));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => (v.length > widths[i] ? `${v.slice(0, widths[i] - 1)}…` : v.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(cols.map((c) => c.toUpperCase())), ...cells.map(line)].join('\n') + '\n';
}

/** A bar for progress lines: `[#######.......] 45%`. */
export function bar(done: number, total: number, width = 30): string {
  const f = total > 0 ? Math.min(1, done / total) : 1;
  const n = Math.round(f * width);
  return `[${'#'.repeat(n)}${'.'.repeat(width - n)}] ${(f * 100).toFixed(0).padStart(3)}%`;
}

/** The error of a failed command as a CliError (bus errors keep their contract code). */
export function asCliError(err: unknown): CliError {
  if (err instanceof CliError) return err;
  if (err instanceof MfaError) return new CliError(EXIT_API, err.code, err.message);
  return new CliError(EXIT_API, 'internal', (err as Error)?.message ?? String(err));
}
