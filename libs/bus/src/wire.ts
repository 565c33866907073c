import type { WireError } from '@mfa/contracts';

/** Injection token of the BusClient (ClientsModule.register name and BusModule provider). */
export const BUS_CLIENT = 'BUS_CLIENT';
/** Reply lists are created by callers; ours are `bus:reply:<uuid>`, one per client instance. */
export const REPLY_LIST_PREFIX = 'bus:reply:';
/** Seconds a reply list lives after the last reply pushed to it (CONTRACT.md). */
export const REPLY_TTL_SECONDS = 60;
export const DEFAULT_TIMEOUT_MS = 5000;

export type WireReply =
  | { id: string | null; ok: true; data: unknown }
  | { id: string | null; ok: false; error: WireError };

/** The fields of one request entry, as strings (absent ones undefined). */
export interface EntryFields {
  id?: string;
  pattern?: string;
  data?: string;
  replyTo?: string;
  deadline?: string;
}

const KNOWN = new Set(['id', 'pattern', 'data', 'replyTo', 'deadline']);

/** `[k1, v1, k2, v2, ...]` from XREADGROUP/XAUTOCLAIM to an object; first occurrence wins. */
export function fieldsOf(flat: readonly string[] | null | undefined): EntryFields {
  const out: Record<string, string> = {};
  if (!flat) return out;
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const k = flat[i];
    if (KNOWN.has(k) && !(k in out)) out[k] = flat[i + 1];
  }
  return out;
}

/** The XADD field list of a request, in the order CONTRACT.md shows. */
export function requestFields(id: string, pattern: string, data: unknown, replyTo: string | null, deadline: number): string[] {
  const out = ['id', id, 'pattern', pattern, 'data', JSON.stringify(data ?? {})];
  if (replyTo) out.push('replyTo', replyTo);
  out.push('deadline', String(deadline));
  return out;
}

export function isWireReply(v: unknown): v is WireReply {
  return typeof v === 'object' && v !== null && typeof (v as WireReply).ok === 'boolean' && 'id' in v;
}
