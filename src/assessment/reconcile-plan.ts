/**
 * What `imaging-bridge reconcile` does about each difference the comparison found. Pure:
 * whether the archive holds a study and which watched source is this PACS come in as arguments.
 */
import type { Comparison } from './compare.js';

export type ReconcileAction =
  /** The archive holds the study: the bridge's outbox writes (or rewrites) its ImagingStudy. */
  | { kind: 'queue-sync'; studyUid: string; reason: 'missing' | 'mismatched' }
  /** The archive does not hold it: the watched source fetches it on its next (reconcile) poll. */
  | { kind: 'fetch-from-source'; studyUid: string; source: string; reason: 'missing' | 'mismatched' }
  /** Neither: nothing here can bring it over. */
  | { kind: 'cannot-queue'; studyUid: string; reason: 'missing' | 'mismatched'; why: string }
  | { kind: 'mark-orphan'; studyUid: string; fhirId: string }
  | { kind: 'delete-orphan'; studyUid: string; fhirId: string }
  /** Marked by an earlier run: nothing to do (idempotent). */
  | { kind: 'already-marked'; studyUid: string; fhirId: string };

export interface PlanInput {
  comparison: Pick<Comparison, 'missingInFhir' | 'mismatched' | 'notInPacs'>;
  held(studyUid: string): boolean;
  /** The watched source that is the compared PACS, if any. */
  source?: string;
  deleteOrphans: boolean;
}

export function planReconcile(p: PlanInput): ReconcileAction[] {
  const out: ReconcileAction[] = [];
  const bring = (studyUid: string, reason: 'missing' | 'mismatched') => {
    if (p.held(studyUid)) out.push({ kind: 'queue-sync', studyUid, reason });
    else if (p.source) out.push({ kind: 'fetch-from-source', studyUid, source: p.source, reason });
    else
      out.push({
        kind: 'cannot-queue',
        studyUid,
        reason,
        why: 'not in this archive and the PACS is not a watched source: add it under "sources"',
      });
  };
  for (const uid of p.comparison.missingInFhir) bring(uid, 'missing');
  for (const m of p.comparison.mismatched) bring(m.studyInstanceUid, 'mismatched');
  for (const f of p.comparison.notInPacs) {
    if (p.deleteOrphans) out.push({ kind: 'delete-orphan', studyUid: f.uid, fhirId: f.id });
    else if (f.orphanTagged) out.push({ kind: 'already-marked', studyUid: f.uid, fhirId: f.id });
    else out.push({ kind: 'mark-orphan', studyUid: f.uid, fhirId: f.id });
  }
  return out;
}

/** Counts per kind, for the summary. */
export function summarize(actions: ReconcileAction[]): Record<ReconcileAction['kind'], number> {
  const out = {
    'queue-sync': 0,
    'fetch-from-source': 0,
    'cannot-queue': 0,
    'mark-orphan': 0,
    'delete-orphan': 0,
    'already-marked': 0,
  };
  for (const a of actions) out[a.kind]++;
  return out;
}
