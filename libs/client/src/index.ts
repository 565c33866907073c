/**
 * @mfa-platform/client: the member-service client of the MFA platform (docs/client.md).
 *
 *   const mfa = new MfaClient({ keyId, secret, redisUrl });
 *   const { allowed, reason } = await mfa.accounts.authorize({ accountId, sessionToken });
 */
export { MfaClient, partitionOf } from './client';
export type { CallOptions, MfaClientOptions } from './client';
export { MfaError } from './errors';
export type { ErrorCode } from './errors';
export { ErrorCodes } from '../../contracts/src/errors';
export type { WireError } from '../../contracts/src/errors';
export * from '../../contracts/src/patterns';
export type { Device, Enforcement, Member, MfaPolicy } from '../../contracts/src/models';
export type { AuthorizeReason, EnforcementState, MfaMethod } from '../../contracts/src/enums';
export { signEntry, signReply, replySignedBy, requestFields, replyPrefixOf, requestStream } from './wire';
export type { BusCredentials } from './wire';
