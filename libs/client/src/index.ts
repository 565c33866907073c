/**
 * @mfa-platform/client: the member-service client of the MFA platform (docs/client.md).
 *
 *   const mfa = new MfaClient({ keyId, secret, redisUrl });
 *   const { allowed, reason } = await mfa.accounts.authorize({ accountId, sessionToken });
 *   // an action the org's policy may hold a condition on (docs/enforcement.md "Per-action conditions")
 *   const { allowed, reason, condition } = await mfa.accounts.authorize({ accountId, sessionToken, action: 'billing:refund' });
 */
export { MfaClient, partitionOf } from './client';
export type { CallOptions, MfaClientOptions } from './client';
export { MfaError } from './errors';
export { clusterNodesProblem, clusterUrl, createRedis, isCluster } from './redis-target';
export type { RedisConnection } from './redis-target';
export type { ErrorCode } from './errors';
export { ErrorCodes } from '../../contracts/src/errors';
export type { WireError } from '../../contracts/src/errors';
export * from '../../contracts/src/patterns';
export type { Device, Enforcement, Member, MfaPolicy } from '../../contracts/src/models';
export type { AuthorizeReason, EnforcementState, MfaMethod } from '../../contracts/src/enums';
export type { MfaCondition } from '../../contracts/src/conditions';
export { signEntry, signReply, replySignedBy, requestFields, replyPrefixOf, requestStream, parseTraceparent } from './wire';
export type { BusCredentials, TraceParent } from './wire';
