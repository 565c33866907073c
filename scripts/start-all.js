// Runs every service in the foreground (after bringing the database schema up to date) and
// shuts them all down cleanly on SIGINT/SIGTERM: each service finishes the work in flight and
// leaves the rest in Redis/Postgres for the next start. If one service dies, the others stop.
const { spawn, execFileSync } = require('node:child_process');
const { join } = require('node:path');

const root = join(__dirname, '..');
const services = ['org-service', 'account-service', 'mfa-service'];

execFileSync(process.execPath, [join(root, 'dist/tools/migrate.js')], { stdio: 'inherit', cwd: root });

// V8 grows the old generation lazily under load (promoted request garbage), past 200 MB RSS;
// a 128 MB old space keeps each service near 175 MB at the same throughput (docs/benchmarks.md, P6).
// NODE_OPTIONS set by the operator wins.
const env = { ...process.env, NODE_OPTIONS: process.env.NODE_OPTIONS || '--max-old-space-size=128' };

const children = services.map((name) => {
  const child = spawn(process.execPath, [join(root, `dist/apps/${name}/src/main.js`)], { cwd: root, stdio: 'inherit', env });
  child.on('exit', (code, signal) => {
    children.splice(children.indexOf(child), 1);
    if (!stopping) {
      console.error(`${name} exited (${signal ?? code}); stopping the others`);
      stop(code || 1);
    }
    if (children.length === 0) process.exit(exitCode);
  });
  return child;
});

let stopping = false;
let exitCode = 0;
function stop(code) {
  if (stopping) return;
  stopping = true;
  exitCode = code;
  for (const child of children) child.kill('SIGTERM');
  // a service that does not finish in time is killed; its unacked work stays in Redis
  setTimeout(() => children.forEach((c) => c.kill('SIGKILL')), 15_000).unref();
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));
