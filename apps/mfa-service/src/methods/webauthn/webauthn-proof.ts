import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import type { Proof } from '../device-method';

/** A WebAuthn assertion answering the challenge `challengeId` (mfa.verify, mfa.sessions.issue). */
export interface AssertionProof extends Proof {
  readonly kind: 'webauthn';
  readonly challengeId: string;
  readonly response: AuthenticationResponseJSON;
}

/** The authenticator's answer to the registration options (mfa.devices.enable). */
export interface RegistrationProof extends Proof {
  readonly kind: 'webauthn-registration';
  readonly response: RegistrationResponseJSON;
}

export const assertionProof = (challengeId: string, response: unknown): AssertionProof => ({
  kind: 'webauthn',
  challengeId,
  response: response as AuthenticationResponseJSON,
});
export const registrationProof = (response: unknown): RegistrationProof => ({
  kind: 'webauthn-registration',
  response: response as RegistrationResponseJSON,
});
export const isAssertionProof = (p: Proof): p is AssertionProof => p.kind === 'webauthn';
export const isRegistrationProof = (p: Proof): p is RegistrationProof => p.kind === 'webauthn-registration';
