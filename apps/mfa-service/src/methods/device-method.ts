import type { CreateDeviceRequest, Device, Member, MfaMethod, ReplyOf } from '@mfa/contracts';
import type { Db } from '../common/db';
import type { DeviceRow, NewDevice } from '../devices/device.repository';
import type { Attempt } from '../verification/lockout.service';
import type { VerifyRow } from '../devices/active-device-cache';
import type { StepOutcome } from '../verification/verify-state';

/**
 * What a request proves possession with. Each method reads the kinds it understands (`accepts`)
 * and ignores the rest: a code today; a WebAuthn assertion is a new kind declared in its own
 * folder, with no change here.
 */
export interface Proof {
  readonly kind: string;
}

/** A one-time code the user typed; `next` is the code after it (TOTP enable and resync). */
export interface CodeProof extends Proof {
  readonly kind: 'code';
  readonly code: string;
  readonly next?: string;
}

export const codeProof = (code: string, next?: string): CodeProof => ({ kind: 'code', code, next });
export const isCodeProof = (proof: Proof): proof is CodeProof => proof.kind === 'code';

export type CreateDeviceReply = ReplyOf<'mfa.devices.create'>;

/**
 * What `accept` found: the StepOutcome of a code, or `cloned`: the proof is right but shows a
 * copied authenticator (a WebAuthn sign counter that did not grow); refused as a failure.
 */
export type AcceptOutcome = StepOutcome | 'cloned';

/** What `begin` is given: the new device's id (its secrets are sealed to it) and the request. */
export interface EnrollInput {
  id: string;
  request: CreateDeviceRequest;
  account: Member;
  now: Date;
}

/** A device being created: the method's columns, then the reply once the row exists. */
export interface Enrollment {
  /** sealed secret columns of the new row (a seed, a phone number; null when the method keeps none) */
  secrets: Pick<NewDevice, 'secret_enc' | 'phone_enc'>;
  /** method state of its own tables, written in the creating transaction (e.g. a WebAuthn challenge) */
  persist?(tx: Db, row: DeviceRow): Promise<void>;
  /** the row exists: finish (send the first SMS, show the seed once) and answer */
  complete(row: DeviceRow): Promise<CreateDeviceReply>;
  /** the row was not made: give back what `begin` took (an SMS slot) */
  abandon(): Promise<void>;
}

/** How a method activates its pending device: `write` runs in the device-set transaction. */
export type Activate = (write: (tx: Db) => Promise<DeviceRow | null>) => Promise<DeviceRow | null>;

/** An active device as the verify hot path loads it (VerificationRepository.load). */
export type ActiveDevice = VerifyRow & { id: string; type: MfaMethod; serial_number: string; org_id: string };

/**
 * What a method can tell about a code (mfa.devices.diagnose): right now, already used, right at
 * another step (the device's clock is off), or wrong. Never which digits were wrong.
 */
export type CodeDiagnosis = { result: 'ok' | 'replayed' } | { result: 'clock_skew'; steps: number } | { result: 'wrong'; hint?: string };

/**
 * One device method (TOTP, SMS, ...): everything the device services and the verify hot path
 * ask of a device type. Implementations live in methods/<type>/ and are registered with
 * @DeviceMethodProvider(type); MethodRegistry finds them. The services never branch on a type.
 */
export interface DeviceMethod<TMatch = unknown> {
  readonly type: MfaMethod;
  /** how messages name the method ("the organization does not allow SMS devices") */
  readonly label: string;

  /** Before the row exists: make the secrets, take limits. Throws to refuse the create. */
  begin(input: EnrollInput): Promise<Enrollment>;

  /**
   * pending -> active when the proof is right, through `activate` (a compare-and-set on the
   * row). null: a wrong proof (counted as a failed attempt by the caller).
   */
  enable(device: DeviceRow, proof: Proof, now: Date, activate: Activate): Promise<DeviceRow | null>;

  /** The public view of a device (the wire's `Device`); may read the method's own table (WebAuthn: AAGUID, backup state). */
  describe(row: DeviceRow): Device | Promise<Device>;

  /** Whether this proof has a form the method can check (cheap, no I/O). */
  accepts(proof: Proof): boolean;

  /**
   * Hot path: what this proof matched on this device now, or null; called with the attempt
   * reserved. Code methods answer in memory, synchronously (no I/O). A method whose proof needs
   * I/O or async crypto answers a promise: WebAuthn reads the credential the assertion names,
   * takes its one-use challenge from Redis and checks the signature (WebCrypto is async).
   */
  match(device: ActiveDevice, proof: Proof, now: Date): TMatch | null | Promise<TMatch | null>;

  /**
   * Optional: the method's `match` is synchronous, in memory, and answers a step that VerifyState's
   * per-device compare-and-set makes count once (TOTP). Such a code is decided with the lockout in one
   * Redis script, without reserving an attempt (VerificationService); this runs after an acceptance.
   */
  stepAccepted?(device: ActiveDevice, step: number, now: Date): void;

  /** Makes a match count once across instances (replay-safe); called with the attempt reserved. */
  accept(device: ActiveDevice, attempt: Attempt, matched: TMatch): Promise<AcceptOutcome>;

  /** Optional: re-align an active device (TOTP clock drift). null: a wrong proof. */
  resync?(device: DeviceRow, proof: Proof, now: Date): Promise<DeviceRow | null>;

  /**
   * Optional: why this proof would (not) verify now. It marks no usable proof used; a proof that
   * would only become valid later must be burned here (TOTP: a future step), or the answer is an oracle.
   */
  diagnose?(accountId: string, device: ActiveDevice, proof: Proof, now: Date): Promise<CodeDiagnosis>;
}
