import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
// eta 4's CommonJS build (the package is ESM first)
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Eta } = require('eta') as typeof import('eta');

/** apps/web: the sources' parent from src/ under ts (jest) and from dist/apps/web/src once built. */
export function webRoot(): string {
  const fromSource = join(__dirname, '../..');
  if (existsSync(join(fromSource, 'views'))) return fromSource;
  return join(__dirname, '../../../../../apps/web');
}

/** Eta templates (auto-escaped, cached) as Express's view engine: `res.render('console/overview', data)`. */
export function useEtaViews(app: NestExpressApplication): void {
  const views = join(webRoot(), 'views');
  const eta = new Eta({ views, cache: true, autoEscape: true, autoTrim: false });
  app.engine('eta', (file: string, data: object, done: (err: Error | null, html?: string) => void) => {
    try {
      done(null, eta.render(relative(views, file).replace(/\.eta$/, ''), data));
    } catch (err) {
      done(err as Error);
    }
  });
  app.setBaseViewsDir(views);
  app.setViewEngine('eta');
}
