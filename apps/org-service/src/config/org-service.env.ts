import { MinLength, ValidateIf } from 'class-validator';
import { IntRange } from '@mfa/config';
import { PolicyEnv } from '../policy/policy.options';

/** org-service's environment: BaseEnv, the policy relay's knobs, its port and the platform key. One class, validated once at boot. */
export class OrgServiceEnv extends PolicyEnv {
  @IntRange(0, 65535)
  ORG_API_PORT: number = 3000;

  /**
   * Creates orgs. Empty means "development": a key is generated once and kept in KEYS_DIR
   * (see PlatformKey); production refuses to start without an explicit one.
   */
  @ValidateIf((env: OrgServiceEnv) => env.PLATFORM_API_KEY !== '')
  @MinLength(32, { message: 'must be at least 32 characters' })
  PLATFORM_API_KEY: string = '';

  override productionProblems(): string[] {
    const problems = super.productionProblems();
    if (this.PLATFORM_API_KEY === '') problems.push('PLATFORM_API_KEY: must be set in production (the generated development key is refused)');
    return problems;
  }
}
