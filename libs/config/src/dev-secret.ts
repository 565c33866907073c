import { existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A secret for development: generated on first start, kept in KEYS_DIR so restarts and
 * other instances on the machine share it. Production refuses these (see each env class).
 */
export function devSecret(keysDir: string, name: string, generate: () => string, warn: (msg: string) => void): string {
  const file = join(keysDir, name);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(keysDir, { recursive: true, mode: 0o700 });
  const value = generate();
  // written whole under a name of our own, then linked into place: a service starting at the
  // same moment never reads a half-written key
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, value + '\n', { mode: 0o600 });
  try {
    linkSync(tmp, file);
  } catch (err) {
    // Another instance wrote it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(file, 'utf8').trim();
    throw err;
  } finally {
    unlinkSync(tmp);
  }
  warn(`generated a development ${name} in ${file}; set it in the environment for production`);
  return value;
}
