/**
 * What the archive knows of a study that FHIR does not carry, for the worklist's port: DICOM
 * Requested Procedure Priority (0040,1003) from a stored instance's header (top level, else in the
 * Request Attributes Sequence (0040,0275)), and when the study's first instance arrived.
 */
import type Database from 'better-sqlite3';
import type { StudyFacts } from './archive-upkeep.js';
import { renderMetadata } from './metadata-text.js';

/** Requested Procedure Priority: searched as text in the stored metadata first (most instances lack it). */
export const PRIORITY = '00401003';
const REQUEST_ATTRIBUTES = '00400275';

type Element = { Value?: unknown[] };
type Dataset = Record<string, Element | undefined>;

const text = (e: Element | undefined): string | undefined => {
  const v = e?.Value?.[0];
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
};

export function priorityOf(metadata: string): string | undefined {
  // Stored text marks bulk data URIs with a raw control character: rendered first.
  const json = JSON.parse(renderMetadata(metadata, '')) as Dataset;
  const top = Object.hasOwn(json, PRIORITY) ? text(json[PRIORITY]) : undefined;
  if (top) return top;
  const items = (Object.hasOwn(json, REQUEST_ATTRIBUTES) ? json[REQUEST_ATTRIBUTES]?.Value : undefined) ?? [];
  for (const item of items as Dataset[]) {
    const v = Object.hasOwn(item, PRIORITY) ? text(item[PRIORITY]) : undefined;
    if (v) return v;
  }
  return undefined;
}

/** The SQLite reader (synchronous: the worklist's port calls it so today). */
export function studyFactsReader(db: Database.Database) {
  const from = `FROM instances i JOIN series s ON s.pk = i.series_pk JOIN studies st ON st.pk = s.study_pk
     WHERE st.study_uid = ?`;
  const received = db.prepare(`SELECT min(i.created_at) AS received ${from}`);
  // The attribute is searched as text first: most instances do not carry it.
  const withPriority = db.prepare(`SELECT i.metadata ${from} AND instr(i.metadata, '"${PRIORITY}"') > 0 LIMIT 1`);
  return (studyUid: string): StudyFacts | undefined => {
    const r = received.get(studyUid) as { received: number | null } | undefined;
    if (!r || r.received === null) return undefined;
    const row = withPriority.get(studyUid) as { metadata: string } | undefined;
    return studyFactsOf(r.received, row?.metadata);
  };
}

/** The facts from the first arrival and the metadata of an instance that names the priority. */
export function studyFactsOf(received: number, metadata: string | undefined): StudyFacts {
  const priority = metadata ? priorityOf(metadata) : undefined;
  return { received, ...(priority ? { priority } : {}) };
}
