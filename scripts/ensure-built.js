// Builds once when dist/ is missing or older than the sources, so `npm run start:all`
// and `npm run db:migrate` work straight after `npm ci`.
const { execSync } = require('node:child_process');
const { existsSync, statSync, readdirSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const marker = join(root, 'dist/tools/migrate.js');

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) latest = Math.max(latest, newest(path));
    else if (entry.name.endsWith('.ts')) latest = Math.max(latest, statSync(path).mtimeMs);
  }
  return latest;
}

const sources = Math.max(...['apps', 'libs', 'tools', 'examples'].map((d) => newest(join(root, d))));
if (!existsSync(marker) || statSync(marker).mtimeMs < sources) {
  console.log('building (dist/ is missing or older than the sources)...');
  execSync('npm run build', { cwd: root, stdio: 'inherit' });
}
