import { readFileSync } from 'node:fs';
import { isEmail } from 'class-validator';
import { MAX_BULK_MEMBERS, type NewMember } from '@mfa/contracts';
import { CliError, EXIT_USAGE, type Context } from './context';

export interface BadRow {
  line: number;
  error: string;
}
export interface ImportSummary {
  rows: number;
  created: number;
  existing: number;
  failed: number;
  errors: BadRow[];
}

/** One CSV record per line (RFC 4180 quoting, no newlines inside a field). */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

const HEADER = ['email', 'displayName', 'externalId'];

/** The file's rows, checked as org-service checks them, each with its line number; bad ones apart. */
export function parseMembersCsv(text: string): { rows: Array<{ line: number; member: NewMember }>; errors: BadRow[] } {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = splitCsvLine(lines[0] ?? '').map((h) => h.trim());
  if (header.join(',') !== HEADER.slice(0, header.length).join(',') || !header.includes('email')) {
    throw new CliError(EXIT_USAGE, 'validation_failed', `line 1: the header must be ${HEADER.join(',')} (got "${lines[0] ?? ''}")`);
  }
  const rows: Array<{ line: number; member: NewMember }> = [];
  const errors: BadRow[] = [];
  for (let i = 1; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    const f = splitCsvLine(lines[i]);
    const line = i + 1;
    if (f.length > header.length) {
      errors.push({ line, error: `${f.length} fields, the header has ${header.length}` });
      continue;
    }
    const email = (f[0] ?? '').trim().toLowerCase();
    const displayName = f[1]?.trim() || undefined;
    const externalId = f[2] || undefined;
    if (!isEmail(email) || email.length > 254) errors.push({ line, error: `email: "${f[0] ?? ''}" is not an email address` });
    else if (displayName && displayName.length > 200) errors.push({ line, error: 'displayName: longer than 200 characters' });
    else if (externalId && externalId.length > 200) errors.push({ line, error: 'externalId: longer than 200 characters' });
    else rows.push({ line, member: { email, ...(displayName ? { displayName } : {}), ...(externalId ? { externalId } : {}) } });
  }
  return { rows, errors };
}

/**
 * `mfa members import FILE.csv`: bulk calls of up to 10,000 rows. A row the server still
 * refuses (it names the row by index) is reported by its line and the rest of its chunk is sent again.
 */
export async function importMembers(ctx: Context, file: string, chunkSize = MAX_BULK_MEMBERS): Promise<ImportSummary> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(EXIT_USAGE, 'usage', `FILE: cannot read ${file} (${err.code ?? err.message})`);
  }
  const { rows, errors } = parseMembersCsv(text);
  const summary: ImportSummary = { rows: rows.length + errors.length, created: 0, existing: 0, failed: 0, errors };
  let done = 0;
  const chunks: Array<typeof rows> = [];
  for (let i = 0; i < rows.length; i += chunkSize) chunks.push(rows.slice(i, i + chunkSize));
  // two bulk calls in flight: the server's work on one overlaps the other's transfer
  const next = async (): Promise<void> => {
    for (let chunk = chunks.shift(); chunk; chunk = chunks.shift()) {
      const size = chunk.length;
      while (chunk.length > 0) {
        try {
          const res = await ctx.api<{ created: number; existing: number }>('POST', `/v1/orgs/${ctx.orgId}/members/bulk`, {
            members: chunk.map((r) => r.member),
          });
          summary.created += res.created;
          summary.existing += res.existing;
          break;
        } catch (err) {
          const bad = badIndexes(err);
          if (bad.size === 0) throw err;
          chunk = chunk.filter((r, j) => !bad.has(j) || void errors.push({ line: r.line, error: (err as Error).message }));
        }
      }
      done += size;
      ctx.progress(`importing ${done}/${rows.length}`);
    }
  };
  await Promise.all([next(), next()]);
  ctx.progressDone();
  errors.sort((a, b) => a.line - b.line);
  summary.failed = errors.length;
  return summary;
}

/** Row indexes a validation_failed answer names (`members[17].email`). */
function badIndexes(err: unknown): Set<number> {
  const out = new Set<number>();
  if (!(err instanceof CliError) || err.code !== 'validation_failed') return out;
  const details = ((err as CliError & { body?: { details?: Array<{ field?: string }> } }).body?.details ?? []).map((d) => d.field ?? '');
  for (const f of [...details, err.message]) for (const m of f.matchAll(/members\[(\d+)\]/g)) out.add(Number(m[1]));
  return out;
}
