import { Matches } from 'class-validator';
import { BaseEnv, IntRange } from '@mfa/config';

/** The web app's environment (apps/web): validated once at boot like every service's. */
export class WebEnv extends BaseEnv {
  @IntRange(0, 65535)
  WEB_PORT: number = 3003;

  /** Where the console reaches org-service's admin API (server side only). */
  @Matches(/^https?:\/\/[^\s/]+$/, { message: 'must be an http(s) origin without a path, such as http://org-service:3000' })
  ORG_API_URL: string = 'http://127.0.0.1:3000';

  /** The origin browsers use for this app; `https://` makes every cookie Secure and `__Host-` prefixed. */
  @Matches(/^https?:\/\/[^\s/]+$/, { message: 'must be an http(s) origin without a path, such as https://mfa.example.com' })
  WEB_PUBLIC_URL: string = 'http://localhost:3003';

  /** A console session ends this long after sign in (sign out ends it at once). */
  @IntRange(300, 86_400)
  WEB_CONSOLE_SESSION_SECONDS: number = 8 * 3600;

  /** A member's enrollment page session, counted from the link's redemption. */
  @IntRange(60, 3600)
  WEB_ENROLL_SESSION_SECONDS: number = 900;

  /** Sign-in attempts per client address per minute (then 429). */
  @IntRange(1, 10_000)
  WEB_SIGNIN_PER_MINUTE: number = 10;

  /** Enrollment link redemptions per client address per minute (then 429). */
  @IntRange(1, 10_000)
  WEB_ENROLL_LINKS_PER_MINUTE: number = 20;
}
