import { randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { RecoveryCodesReply } from '@mfa/contracts';
import { constantTimeEqual } from '@mfa/crypto';
import { AccountDirectory } from '../accounts/account-directory';
import { Clock } from '../common/clock';
import { StepUp } from '../tokens/step-up';
import { MfaServiceEnv } from '../config/mfa-service.env';
import { RateLimiter } from '../limits/rate-limiter';
import { hashRecoveryCode, newRecoveryCode, normalizeRecoveryCode } from './recovery-code-format';
import { RecoveryCodeRepository } from './recovery-code.repository';

export const RECOVERY_CODE_COUNT = 10;

export type RecoveryAttempt =
  { status: 'used'; orgId: string; remaining: number } | { status: 'wrong'; orgId: string } | { status: 'none' };

/**
 * Ten single-use recovery codes per account. One random salt per set, so a typed code costs one
 * scrypt however many codes are left (compared against each stored hash in constant time).
 */
@Injectable()
export class RecoveryCodesService {
  constructor(
    private readonly codes: RecoveryCodeRepository,
    private readonly accounts: AccountDirectory,
    private readonly limiter: RateLimiter,
    private readonly clock: Clock,
    private readonly stepUp: StepUp,
    @Inject(MfaServiceEnv) private readonly env: MfaServiceEnv,
  ) {}

  async generate(accountId: string, sessionToken?: string): Promise<RecoveryCodesReply> {
    const account = await this.accounts.get(accountId);
    await this.stepUp.assert(accountId, sessionToken);
    const now = this.clock.now();
    // a set costs 10 scrypt hashes: limited per account before any is computed
    const slot = await this.limiter.take(
      [
        {
          key: `mfa:limit:{recovery}:account:${account.id}`,
          max: this.env.RECOVERY_CODE_SETS_MAX_PER_HOUR,
          what: 'recovery-code sets for this account',
        },
      ],
      now,
    );
    try {
      const salt = randomBytes(16);
      const plain = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
      // one hash at a time: a set holds one libuv thread, not all four, so a flood of sets
      // leaves CPU for other orgs' verifications (docs/benchmarks.md, P8)
      const hashes: Buffer[] = [];
      for (const c of plain) hashes.push(await hashRecoveryCode(normalizeRecoveryCode(c)!, salt));
      await this.codes.replaceSet(
        account.id,
        account.orgId,
        hashes.map((hash) => ({ id: randomUUID(), salt, hash })),
        now,
      );
      return { codes: plain };
    } catch (err) {
      await this.limiter.giveBack(slot);
      throw err;
    }
  }

  /** Tries a code that looks like a recovery code; `none` when the account has no unused code. */
  async use(accountId: string, code: string, now: Date): Promise<RecoveryAttempt> {
    const unused = await this.codes.unused(accountId);
    if (unused.length === 0) return { status: 'none' };
    const orgId = unused[0].org_id;
    const normalized = normalizeRecoveryCode(code);
    if (!normalized) return { status: 'wrong', orgId };
    // all rows of a set share its salt; a set from before a concurrent regenerate may differ
    const hashBySalt = new Map<string, Buffer>();
    for (const row of unused) {
      const key = row.salt.toString('hex');
      if (!hashBySalt.has(key)) hashBySalt.set(key, await hashRecoveryCode(normalized, row.salt));
      if (constantTimeEqual(hashBySalt.get(key)!, row.hash)) {
        const remaining = await this.codes.consume(row.id, accountId, now);
        return remaining === null ? { status: 'wrong', orgId } : { status: 'used', orgId, remaining };
      }
    }
    return { status: 'wrong', orgId };
  }
}
