import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateBy,
  ValidateNested,
} from 'class-validator';
import { decodeAttestationObject, isoBase64URL, parseAuthenticatorData } from '@simplewebauthn/server/helpers';

/**
 * The WebAuthn JSON a browser's `PublicKeyCredential.toJSON()` (or @simplewebauthn/browser)
 * writes, validated to its shape: every field base64url, the client data JSON with its three
 * strings, the attestation object CBOR with authenticator data, authenticator data long enough.
 * A malformed response is `validation_failed` naming the field; a well-formed one that does not
 * verify (wrong challenge, origin, RP id, signature) is a failed proof (`invalid_code`).
 */
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const b64 = (max: number) => (target: object, key: string | symbol) => {
  IsString()(target, key);
  MaxLength(max)(target, key);
  Matches(BASE64URL, { message: `${String(key)} must be base64url` })(target, key);
};
type Bytes = Uint8Array<ArrayBuffer>;
const decode = (v: string): Bytes => isoBase64URL.toBuffer(v);

function decodes(name: string, check: (bytes: Bytes) => boolean, what: string): PropertyDecorator {
  return ValidateBy({
    name,
    validator: {
      validate: (v: unknown) => {
        if (typeof v !== 'string' || !BASE64URL.test(v)) return true; // the base64url rule reports it
        try {
          return check(decode(v));
        } catch {
          return false;
        }
      },
      defaultMessage: (a) => `${a?.property} must be ${what}`,
    },
  });
}

const isClientData = (bytes: Bytes) => {
  const c = JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>;
  return c !== null && typeof c === 'object' && ['type', 'challenge', 'origin'].every((k) => typeof c[k] === 'string');
};
// rpIdHash (32) + flags (1) + counter (4); parsing also checks the attested data and extensions it claims
const isAuthData = (bytes: Bytes) => bytes.length >= 37 && parseAuthenticatorData(bytes) !== undefined;
const isAttestation = (bytes: Bytes) => {
  const att = decodeAttestationObject(bytes);
  const authData = att.get('authData');
  return authData instanceof Uint8Array && isAuthData(authData) && parseAuthenticatorData(authData).credentialID !== undefined;
};
const TRANSPORTS = ['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb'];
const KEY_LIMIT = 1366; // a credential id is at most 1023 bytes

class ResponseBase {
  @b64(4096)
  @decodes('clientDataJSON', isClientData, 'base64url JSON with type, challenge and origin')
  clientDataJSON: string;
}

export class AttestationResponseDto extends ResponseBase {
  @b64(65_536)
  @decodes('attestationObject', isAttestation, 'a CBOR attestation object with authenticator data naming a credential')
  attestationObject: string;

  @IsOptional()
  @b64(65_536)
  @decodes('authenticatorData', isAuthData, 'authenticator data')
  authenticatorData?: string;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @IsIn(TRANSPORTS, { each: true })
  transports?: string[];

  @IsOptional()
  @b64(8192)
  publicKey?: string;

  @IsOptional()
  @IsInt()
  publicKeyAlgorithm?: number;
}

export class AssertionResponseDto extends ResponseBase {
  @b64(65_536)
  @decodes('authenticatorData', isAuthData, 'authenticator data')
  authenticatorData: string;

  @b64(1024)
  signature: string;

  @IsOptional()
  @b64(128)
  userHandle?: string;
}

class CredentialBase {
  @b64(KEY_LIMIT)
  id: string;

  @b64(KEY_LIMIT)
  rawId: string;

  @IsIn(['public-key'])
  type: 'public-key';

  @IsObject()
  clientExtensionResults: Record<string, unknown>;

  @IsOptional()
  @IsIn(['platform', 'cross-platform'])
  authenticatorAttachment?: 'platform' | 'cross-platform';
}

/** RegistrationResponseJSON (`navigator.credentials.create(...).toJSON()`). */
export class RegistrationResponseDto extends CredentialBase {
  @IsObject()
  @ValidateNested()
  @Type(() => AttestationResponseDto)
  response: AttestationResponseDto;
}

/** AuthenticationResponseJSON (`navigator.credentials.get(...).toJSON()`). */
export class AssertionDto extends CredentialBase {
  @IsObject()
  @ValidateNested()
  @Type(() => AssertionResponseDto)
  response: AssertionResponseDto;
}
