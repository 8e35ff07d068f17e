export interface Counts {
  passed: number;
  failed: number;
  didNotRun: number;
  notes: string[];
}
export function vitestCounts(report: unknown, listed?: Array<{ file: string }>): Counts;
export function playwrightCounts(report: unknown, listed?: unknown): Counts;
export function total(stages: Array<{ label: string; ok: boolean; counts?: Counts }>): Counts;
export function closingLine(counts: Counts): string;
