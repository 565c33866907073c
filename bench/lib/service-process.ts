import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';

export type ServiceName = 'org-service' | 'account-service' | 'mfa-service' | 'web';
const PORT_VARIABLE: Record<ServiceName, string> = {
  'org-service': 'ORG_API_PORT',
  'account-service': 'ACCOUNT_SERVICE_PORT',
  'mfa-service': 'MFA_SERVICE_PORT',
  web: 'WEB_PORT',
};

/** The repository root, from bench/lib (under jest) or dist/bench/lib (built) alike. */
export function repoRoot(from = __dirname): string {
  let dir = from;
  while (!(existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'apps')))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${from}`);
    dir = up;
  }
  return dir;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A service running as its own process from dist/, as in production. */
export class ServiceProcess {
  private constructor(
    readonly name: ServiceName,
    readonly port: number,
    private readonly child: ChildProcess,
  ) {}

  static async start(name: ServiceName, env: NodeJS.ProcessEnv, root = repoRoot()): Promise<ServiceProcess> {
    const port = await freePort();
    // BENCH_PROFILE_DIR: each service writes a V8 CPU profile there when it stops (node --cpu-prof)
    const profile = process.env.BENCH_PROFILE_DIR
      ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`, `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`]
      : [];
    const child = spawn(process.execPath, [...profile, join(root, `dist/apps/${name}/src/main.js`)], {
      cwd: root,
      // the heap bound of `npm run start:all` and the Dockerfile, unless the caller sets its own
      env: { NODE_OPTIONS: '--max-old-space-size=128', ...process.env, ...env, [PORT_VARIABLE[name]]: String(port) },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const service = new ServiceProcess(name, port, child);
    await service.waitHealthy();
    return service;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Peak resident set size of the process so far (VmHWM), in MB. */
  peakRssMb(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN);
    return kb / 1024;
  }

  /** Current resident set size (VmRSS), in MB. */
  rssMb(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
  }

  /** CPU time (user + system) the process has used so far, in seconds (/proc/<pid>/stat, clock ticks of 10 ms). */
  cpuSeconds(): number {
    return procCpuSeconds(this.pid);
  }

  /** Resets the peak (VmHWM) to the current RSS (Linux: `echo 5 > /proc/pid/clear_refs`), so the next peakRssMb() covers only what follows. */
  resetPeakRss(): void {
    writeFileSync(`/proc/${this.pid}/clear_refs`, '5');
  }

  async waitHealthy(timeoutMs = 20_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if (this.child.exitCode !== null) throw new Error(`${this.name} exited with ${this.child.exitCode}`);
      try {
        const res = await fetch(`http://127.0.0.1:${this.port}/health`);
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${this.name} not healthy after ${timeoutMs} ms`);
  }

  /** SIGTERM and wait; SIGKILL with `kill: true` (a crash, for fault tests). */
  async stop(kill = false): Promise<void> {
    if (!this.running) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill(kill ? 'SIGKILL' : 'SIGTERM');
    await exited;
  }
}

/** CPU time (user + system) of a process so far, in seconds (Linux, USER_HZ = 100). */
export function procCpuSeconds(pid: number, path = `/proc/${pid}/stat`): number {
  const stat = readFileSync(path, 'utf8');
  // the command name (field 2) may hold spaces: fields count from after its closing parenthesis
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / 100;
}

/**
 * CPU seconds of a process's main thread (the event loop) and of all its other threads (the
 * libuv threadpool, where scrypt runs, and V8's GC helpers), from /proc/<pid>/task.
 */
export function procThreadCpuSeconds(pid: number): { main: number; others: number } {
  let main = 0;
  let others = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let seconds: number;
    try {
      seconds = procCpuSeconds(pid, `/proc/${pid}/task/${tid}/stat`);
    } catch {
      continue; // the thread ended meanwhile
    }
    if (Number(tid) === pid) main += seconds;
    else others += seconds;
  }
  return { main, others };
}
