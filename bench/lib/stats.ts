/** Latency figures in milliseconds, from a list of samples. */
export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  mean: number;
}

export function summarize(samplesMs: number[]): LatencySummary {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
  const mean = sorted.reduce((s, v) => s + v, 0) / (sorted.length || 1);
  return { count: sorted.length, p50: at(50), p99: at(99), mean };
}

export function median(values: number[]): number {
  return summarize(values).p50;
}

export const fmt = (n: number, digits = 2): string => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

/** One line of the results table: the figure, its baseline, the ratio and the goal. */
export interface BenchRow {
  id: string;
  what: string;
  figure: string;
  baseline: string;
  ratio: string;
  goal: string;
  met: boolean | null;
}

export function markdownTable(rows: BenchRow[]): string {
  const head = '| id | what | figure | baseline (same run) | ratio | goal | met |\n|---|---|---|---|---|---|---|';
  const body = rows.map(
    (r) =>
      `| ${r.id} | ${r.what} | ${r.figure} | ${r.baseline} | ${r.ratio} | ${r.goal} | ${r.met === null ? '-' : r.met ? 'yes' : '**no**'} |`,
  );
  return [head, ...body].join('\n');
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = process.hrtime.bigint();
  const value = await fn();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, value };
}
