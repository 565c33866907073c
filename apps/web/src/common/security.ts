import { createHmac } from 'node:crypto';
import type { NestExpressApplication } from '@nestjs/platform-express';
import cookieParser from 'cookie-parser';
import { doubleCsrf } from 'csrf-csrf';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import type { InternalKey } from '@mfa/crypto';
import type { WebEnv } from '../config/web.env';

/** Cookie names and options: `__Host-` and Secure when the public URL is https (a browser refuses Secure cookies on plain http). */
export function cookieSettings(env: WebEnv) {
  const secure = env.WEB_PUBLIC_URL.startsWith('https://');
  const prefix = secure ? '__Host-' : '';
  return {
    secure,
    console: `${prefix}mfa_console`,
    enroll: `${prefix}mfa_enroll`,
    csrf: `${prefix}mfa_csrf`,
    options: { httpOnly: true, secure, sameSite: 'strict' as const, path: '/' },
  };
}

/**
 * Headers, cookies and CSRF for every request: a strict CSP (scripts only from /static, no
 * inline script or style), frame-ancestors none, no referrer (an enrollment URL carries its
 * token), no caching of any page (they hold keys, codes and member data).
 */
export function secureHttp(app: NestExpressApplication, env: WebEnv, internalKey: InternalKey): void {
  const cookies = cookieSettings(env);
  app.disable('x-powered-by');
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          connectSrc: ["'self'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
          baseUri: ["'none'"],
          objectSrc: ["'none'"],
        },
      },
      referrerPolicy: { policy: 'no-referrer' },
      strictTransportSecurity: cookies.secure,
    }),
  );
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (!req.path.startsWith('/static/')) res.setHeader('Cache-Control', 'no-store');
    next();
  });
  app.use(cookieParser());
  const { doubleCsrfProtection } = doubleCsrf({
    getSecret: () => createHmac('sha256', internalKey.webSessionKey).update('csrf').digest('hex'),
    // tied to the session once there is one; before sign-in the double-submit cookie alone
    getSessionIdentifier: (req) =>
      (req.cookies?.[cookies.console] as string | undefined) ?? (req.cookies?.[cookies.enroll] as string | undefined) ?? '',
    cookieName: cookies.csrf,
    cookieOptions: cookies.options,
    getCsrfTokenFromRequest: (req) => (req.body as { _csrf?: string } | undefined)?._csrf ?? req.headers['x-csrf-token'],
  });
  app.use(doubleCsrfProtection);
  // a refused token is answered here (the middleware runs before Nest's filters)
  app.use((err: { code?: string }, req: Request, res: Response, next: NextFunction) => {
    if (err?.code !== 'EBADCSRFTOKEN') return next(err);
    res.status(403).render('error', {
      title: 'Form expired',
      message: 'This form was refused: it expired or did not come from this site. Go back, reload the page and try again.',
      csrfToken: req.csrfToken?.() ?? '',
      session: null,
    });
  });
}
