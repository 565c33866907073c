/**
 * The platform's side of the wire. The pure wire code (signatures, entry fields, reply lists)
 * lives in the published client, @mfa-platform/client, so it exists once; it is re-exported here.
 */
export {
  DEFAULT_TIMEOUT_MS,
  fieldsOf,
  isWireReply,
  MAX_DATA_BYTES,
  MAX_DEADLINE_AHEAD_MS,
  MAX_FIELD_BYTES,
  parseTraceparent,
  readReplies,
  REPLY_DRAIN_COUNT,
  REPLY_LIST_PREFIX,
  REPLY_TTL_SECONDS,
  replyPrefixOf,
  replySignedBy,
  requestFields,
  signEntry,
  signReply,
  TRACEPARENT_FIELD,
  TRACEPARENT_LENGTH,
  trustedReply,
} from '@mfa-platform/client/wire';
export type { BusCredentials, EntryFields, ReplyListConnection, ReplyLoop, TraceParent, WireReply } from '@mfa-platform/client/wire';
import type { BusCredentials } from '@mfa-platform/client/wire';

/** Injection token of the BusClient (ClientsModule.register name and BusModule provider). */
export const BUS_CLIENT = 'BUS_CLIENT';
/** The platform's own entries may carry more: a bulk import of 10,000 members is one entry. */
export const MAX_PLATFORM_DATA_BYTES = 4 * 1024 * 1024;
/** Key ids of the platform's own services: `platform:<service>`, signed with the internal key. */
export const PLATFORM_KEY_PREFIX = 'platform:';

export function platformCredentials(service: string, busSecret: string): BusCredentials {
  return { keyId: `${PLATFORM_KEY_PREFIX}${service}`, secret: busSecret };
}
