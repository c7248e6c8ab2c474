/** Shapes shared by the workloads, the report and the runner. */
import type { Side } from '../servers.js';

export interface Target {
  /** As printed, e.g. "≥ 5×" or "≥ 3× and ≤ 20 ms". */
  text: string;
  /** Minimum ratio (ours vs Orthanc, > 1 = ours better). */
  minRatio?: number;
  /** Maximum value of ours (for lower-is-better metrics). */
  maxOurs?: number;
  /** Minimum value of ours (for higher-is-better metrics judged on ours alone, e.g. a share). */
  minOurs?: number;
}

export interface Row {
  workload: string;
  metric: string;
  unit: string;
  /** Which direction is better; decides how the ratio is taken. */
  better: 'lower' | 'higher';
  values: Partial<Record<Side, number>>;
  target?: Target;
}

export interface WorkloadResult {
  id: string;
  title: string;
  rows: Row[];
  notes: string[];
  /** Every sample and detail, for latest.json. */
  raw: Record<string, unknown>;
  errors: string[];
}

/** ours vs Orthanc, > 1 = ours better; undefined when a side is missing. */
export function ratioOf(row: Row): number | undefined {
  const ours = row.values.ours;
  const theirs = row.values.orthanc;
  if (ours === undefined || theirs === undefined || !Number.isFinite(ours) || !Number.isFinite(theirs))
    return undefined;
  if (ours === 0 || theirs === 0) return undefined;
  return row.better === 'lower' ? theirs / ours : ours / theirs;
}

/** true/false when the target can be judged with the figures present, else undefined. */
export function targetMet(row: Row): boolean | undefined {
  const t = row.target;
  if (!t) return undefined;
  const checks: boolean[] = [];
  if (t.minRatio !== undefined) {
    const ratio = ratioOf(row);
    if (ratio === undefined) return undefined;
    checks.push(ratio >= t.minRatio);
  }
  if (t.maxOurs !== undefined) {
    const ours = row.values.ours;
    if (ours === undefined || !Number.isFinite(ours)) return undefined;
    checks.push(ours <= t.maxOurs);
  }
  if (t.minOurs !== undefined) {
    const ours = row.values.ours;
    if (ours === undefined || !Number.isFinite(ours)) return undefined;
    checks.push(ours >= t.minOurs);
  }
  return checks.every(Boolean);
}
