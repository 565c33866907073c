import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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
  try {
    writeFileSync(file, value + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    // Another instance wrote it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(file, 'utf8').trim();
    throw err;
  }
  warn(`generated a development ${name} in ${file}; set it in the environment for production`);
  return value;
}
