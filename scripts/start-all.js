// Runs every service in the foreground (after bringing the database schema up to date) and
// shuts them all down cleanly on SIGINT/SIGTERM: each service finishes the work in flight and
// leaves the rest in Redis/Postgres for the next start. A service that dies is started again
// (1 s, doubling to 30 s between tries; back to 1 s once it has stayed up 60 s); the others
// keep running.
const { spawn, execFileSync } = require('node:child_process');
const { join } = require('node:path');

const root = join(__dirname, '..');
const services = ['org-service', 'account-service', 'mfa-service', 'web'];

/** The restart delays: exported apart from the processes so a test can check them. */
const BACKOFF = {
  firstMs: 1_000,
  maxMs: 30_000,
  stableMs: 60_000,
};

/** The delay before the next start: doubles after each quick death, resets after a long run. */
function nextDelay(previousMs, upMs, backoff = BACKOFF) {
  if (previousMs === 0 || upMs >= backoff.stableMs) return backoff.firstMs;
  return Math.min(previousMs * 2, backoff.maxMs);
}

function main() {
  execFileSync(process.execPath, [join(root, 'dist/tools/migrate.js')], { stdio: 'inherit', cwd: root });

  // V8 grows the old generation lazily under load (promoted request garbage), past 200 MB RSS;
  // a 128 MB old space keeps each service near 175 MB at the same throughput (docs/benchmarks.md, P6).
  // NODE_OPTIONS set by the operator wins.
  // passkeys work from the admin origin and the web app's enrollment page (WEB_PORT 3003) unless set
  const webauthnOrigins = process.env.WEBAUTHN_ORIGINS || `http://localhost:3000,http://localhost:${process.env.WEB_PORT || 3003}`;
  const env = { ...process.env, WEBAUTHN_ORIGINS: webauthnOrigins, NODE_OPTIONS: process.env.NODE_OPTIONS || '--max-old-space-size=128' };

  const running = new Set();
  const timers = new Set();
  let stopping = false;

  function start(name, delayMs) {
    const startedAt = Date.now();
    const child = spawn(process.execPath, [join(root, `dist/apps/${name}/src/main.js`)], { cwd: root, stdio: 'inherit', env });
    running.add(child);
    child.on('exit', (code, signal) => {
      running.delete(child);
      if (stopping) {
        if (running.size === 0) process.exit(0);
        return;
      }
      const delay = nextDelay(delayMs, Date.now() - startedAt);
      console.error(
        `start-all: ${name} (pid ${child.pid}) exited (${signal ?? code}) after ${Math.round((Date.now() - startedAt) / 1000)} s; restarting it in ${delay / 1000} s`,
      );
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!stopping) start(name, delay);
      }, delay);
      timers.add(timer);
    });
  }

  function stop() {
    if (stopping) return;
    stopping = true;
    // no restart while stopping
    for (const timer of timers) clearTimeout(timer);
    if (running.size === 0) process.exit(0);
    for (const child of running) child.kill('SIGTERM');
    // a service that does not finish in time is killed; its unacked work stays in Redis
    setTimeout(() => running.forEach((c) => c.kill('SIGKILL')), 15_000).unref();
  }
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  for (const name of services) start(name, 0);
}

if (require.main === module) main();
module.exports = { nextDelay, BACKOFF };
