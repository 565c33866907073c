import { AppError } from '@mfa/contracts';
import { codeProof, type Proof } from './device-method';
import { assertionProof, registrationProof } from './webauthn/webauthn-proof';

/** The proof fields a request may carry (validated by its DTO: exactly one form is present). */
export interface ProofFields {
  code?: string;
  code1?: string;
  code2?: string;
  challengeId?: string;
  assertion?: object;
  registrationResponse?: object;
}

/** The typed proof of a request; each method reads the kinds it knows (device-method.ts). */
export function proofOf(req: ProofFields): Proof {
  if (req.assertion !== undefined && req.code !== undefined) throw both('code', 'assertion');
  if (req.registrationResponse !== undefined && (req.code1 !== undefined || req.code2 !== undefined))
    throw both('code1', 'registrationResponse');
  if (req.assertion !== undefined) return assertionProof(req.challengeId!, req.assertion);
  if (req.registrationResponse !== undefined) return registrationProof(req.registrationResponse);
  // spaces typed between digit groups are not part of a code
  return codeProof((req.code ?? req.code1 ?? '').replace(/\s/g, ''), req.code2);
}

const both = (a: string, b: string) =>
  AppError.validation(`${a}: give either ${a} or ${b}, not both`, [{ field: a, messages: [`not with ${b}`] }]);

/** A proof, or a plain code (the services' callers in-process: tests, benches). */
export const asProof = (proofOrCode: Proof | string, next?: string): Proof =>
  typeof proofOrCode === 'string' ? proofOf({ code: proofOrCode, code2: next }) : proofOrCode;
