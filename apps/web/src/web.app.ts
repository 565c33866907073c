import { join } from 'node:path';
import express from 'express';
import type { ServiceDefinition } from '@mfa/observability';
import { InternalKey } from '@mfa/crypto';
import { secureHttp } from './common/security';
import { useEtaViews, webRoot } from './common/views';
import { WebEnv } from './config/web.env';
import { WebModule } from './web.module';

/** How the web app starts: HTTP pages only; it calls the bus and the admin API like any client. */
export const webApp: ServiceDefinition<WebEnv> = {
  name: 'web',
  env: WebEnv,
  module: (env) => WebModule.forRoot(env),
  port: (env) => env.WEB_PORT,
  // forms only, small
  readBodies: (app) => app.use(express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 50 })),
  configure: (app, env) => {
    app.use('/static', express.static(join(webRoot(), 'public'), { maxAge: '1h', index: false }));
    useEtaViews(app);
    secureHttp(app, env, app.get(InternalKey));
  },
  // one-time link tokens never reach a log line
  logUrl: (url) =>
    url.replace(/^\/enroll\/(start\/)?[A-Za-z0-9_-]{16,}/, (_, start: string | undefined) => `/enroll/${start ?? ''}[token]`),
};
