export interface Counts {
  passed: number;
  failed: number;
  didNotRun: number;
  notes: string[];
}
/** The sum over `npm test`'s stages, with the label of each stage that failed. */
export interface Sum extends Counts {
  failedStages: string[];
}
export function vitestCounts(report: unknown, listed?: Array<{ file: string }>): Counts;
export function playwrightCounts(report: unknown, listed?: unknown): Counts;
export function total(stages: Array<{ label: string; ok: boolean; counts?: Counts }>): Sum;
export function closingLine(counts: Counts & { failedStages?: string[] }): string;
