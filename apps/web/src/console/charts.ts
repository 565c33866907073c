import { EnforcementStates, type ComplianceHistoryItem, type EnforcementState } from '@mfa/contracts';

/** Geometry for the server-rendered SVG charts (the templates draw it; no script, no inline style). */

export const STATE_LABELS: Record<EnforcementState, string> = {
  not_required: 'Not required',
  pending: 'Pending',
  compliant: 'Compliant',
  non_compliant: 'Non-compliant',
  exempt: 'Exempt',
};
// dark enough for text-level contrast (>= 4.5:1) on white
const STATE_COLORS: Record<EnforcementState, string> = {
  not_required: '#4b5563',
  pending: '#92400e',
  compliant: '#166534',
  non_compliant: '#b91c1c',
  exempt: '#1e40af',
};

export interface Bar {
  state: EnforcementState;
  label: string;
  count: number;
  color: string;
  y: number;
  width: number;
}

/** One horizontal bar per state, widths proportional to the largest count (max 100 % of `width`). */
export function stateBars(byState: Partial<Record<EnforcementState, number>>, width = 360, rowHeight = 28): Bar[] {
  const max = Math.max(1, ...EnforcementStates.map((s) => byState[s] ?? 0));
  return EnforcementStates.map((state, i) => {
    const count = byState[state] ?? 0;
    return {
      state,
      label: STATE_LABELS[state],
      count,
      color: STATE_COLORS[state],
      y: i * rowHeight,
      width: count === 0 ? 0 : Math.max(2, Math.round((count / max) * width)),
    };
  });
}

export interface TrendLine {
  /** SVG polyline points, "x,y x,y ..." */
  points: string;
  dots: Array<{ x: number; y: number; date: string; percent: number }>;
  width: number;
  height: number;
}

/** The compliance trend: compliantPercent (0..100) per day, oldest left; empty history gives no points. */
export function trendLine(items: readonly ComplianceHistoryItem[], width = 480, height = 160, pad = 24): TrendLine {
  const n = items.length;
  const x = (i: number) => (n <= 1 ? width / 2 : pad + (i * (width - 2 * pad)) / (n - 1));
  const y = (p: number) => Math.round((height - pad - (Math.min(100, Math.max(0, p)) / 100) * (height - 2 * pad)) * 10) / 10;
  const dots = items.map((it, i) => ({
    x: Math.round(x(i) * 10) / 10,
    y: y(it.compliantPercent),
    date: it.date,
    percent: it.compliantPercent,
  }));
  return { points: dots.map((d) => `${d.x},${d.y}`).join(' '), dots, width, height };
}

/** The key as the member reads it aloud or types it: groups of four. */
export function groupKey(secretBase32: string): string {
  return secretBase32.replace(/(.{4})(?=.)/g, '$1 ');
}

/**
 * The rollout's progress line. A rollout's total is 0 until its walk has counted the members (beside
 * its first chunk): until then it is "counting members", not "0 of 0 (100%)".
 */
export function rolloutText(r: { status: string; total: number; applied: number }): string {
  if (r.total === 0 && r.status !== 'completed' && r.status !== 'failed') return `${r.status}: counting members`;
  return `${r.status}: ${r.applied} of ${r.total} (${r.total ? Math.floor((100 * r.applied) / r.total) : 100}%)`;
}
