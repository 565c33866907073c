/** The compliance report's CSV, row by row: RFC 4180 quoting, LF line ends, a guard against formula injection. */

export const CSV_HEADER =
  'account_id,email,enforcement_state,mfa_active,device_count,grace_deadline,last_mfa_used_at,exempt_until,only_sms,groups';

export interface ComplianceCsvRow {
  accountId: string;
  email: string;
  state: string;
  mfaActive: boolean;
  deviceCount: number;
  graceDeadline: string | null;
  lastMfaUsedAt: string | null;
  exemptUntil: string | null;
  /** has active devices and all of them are SMS (what secureMethodsOnly does not count) */
  onlySms: boolean;
  /** the member's groups whose policy is part of its effective policy, ids joined by `;` */
  groups: string;
}

// A spreadsheet runs a cell starting with one of these as a formula (CSV injection, OWASP).
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One cell: empty for no value; a text starting like a formula gets a leading `'` so a
 * spreadsheet shows it as text; quoted when it holds a comma, a quote or a line break.
 */
export function csvCell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(row: ComplianceCsvRow): string {
  return (
    [
      row.accountId,
      row.email,
      row.state,
      row.mfaActive,
      row.deviceCount,
      row.graceDeadline,
      row.lastMfaUsedAt,
      row.exemptUntil,
      row.onlySms,
      row.groups,
    ]
      .map(csvCell)
      .join(',') + '\n'
  );
}
