/**
 * What the worklist keeps of a study and a patient between writes: the resource without what
 * grows with the archive and is never read here, its repeated strings and parts shared. The worklist holds
 * every study on the server; a whole ImagingStudy keeps one entry (UID, SOP class, number) per
 * instance, and every parsed copy its own copies of the same systems, codes and references. At
 * P3 (10,000 instances, 5,000 studies) the studies held 12.6 MB of the server's 91 MB live heap
 * (issue 21). Kept this way, 5,000 copies of the golden CT study (6 instances) take 11.5 MB of heap
 * instead of 42.0 (docs/ingest-memory.md, session 17).
 *
 * Kept: every field the rules (clinical/worklist), the item view (view.ts), the order lookup
 * (study-index.ts) and an access policy's compartment check read. Dropped: the series' instance
 * lists, the narrative (`text`), contained resources, and `meta.versionId` / `meta.lastUpdated`.
 * A scope suffix on a dropped field (`instance`, `dicom-class`, `_lastUpdated`) finds nothing on
 * what is kept, so such a policy hides the study from the list (closed, never wider).
 */
import type { ImagingStudy, Patient } from '@medplum/fhirtypes';

/** Keys whose string values repeat across resources (codes, systems, references, descriptions). */
const SHARED_KEYS = new Set([
  'system',
  'code',
  'display',
  'use',
  'reference',
  'text',
  'description',
  'status',
  'version',
  'unit',
  'type',
]);
const DROPPED = new Set(['text', 'contained']);
/** Distinct strings shared at most; past that, new ones are kept as they are (the table is not grown). */
const MAX_SHARED = 20_000;
/** Longer strings are not worth a table entry (free-text descriptions, narratives). */
const MAX_SHARED_LENGTH = 200;

/**
 * One copy of each repeated string and of each repeated part made only of such strings (a coding,
 * a concept, the subject reference): bounded, past `max` entries new ones are kept as they are.
 * Parts are frozen, as they are shared between studies.
 */
export class StringTable {
  private readonly strings = new Map<string, string>();
  private readonly parts = new Map<string, object>();

  constructor(private readonly max = MAX_SHARED) {}

  get size(): number {
    return this.strings.size + this.parts.size;
  }

  share(s: string): string {
    if (s.length > MAX_SHARED_LENGTH) return s;
    const kept = this.strings.get(s);
    if (kept !== undefined) return kept;
    if (this.size < this.max) this.strings.set(s, s);
    return s;
  }

  /** The kept copy of the part whose JSON is `key`, else `part` itself, frozen and kept. */
  sharePart<T extends object>(key: string, part: T): T {
    const kept = this.parts.get(key);
    if (kept !== undefined) return kept as T;
    if (this.size < this.max) this.parts.set(key, Object.freeze(part));
    return part;
  }
}

/**
 * A deep copy of plain JSON data: the strings under SHARED_KEYS, and the parts holding only such
 * strings (and numbers, booleans), taken from `table`. `key`: the copy's JSON when it holds only
 * those (built from the parts' keys, each part serialised once), else undefined.
 */
function copyOf(value: unknown, name: string, table: StringTable): { value: unknown; key?: string } {
  if (typeof value === 'string')
    return SHARED_KEYS.has(name) ? { value: table.share(value), key: JSON.stringify(value) } : { value };
  if (!value || typeof value !== 'object') return { value, key: JSON.stringify(value) };
  let key: string | undefined;
  let out: unknown[] | Record<string, unknown>;
  if (Array.isArray(value)) {
    const keys: string[] = [];
    out = value.map((v) => {
      const c = copyOf(v, name, table);
      if (c.key === undefined) key = '';
      else if (key === undefined) keys.push(c.key);
      return c.value;
    });
    if (key === undefined) key = `[${keys.join(',')}]`;
  } else {
    const o: Record<string, unknown> = {};
    const keys: string[] = [];
    for (const [k, v] of Object.entries(value)) {
      const c = copyOf(v, k, table);
      if (c.key === undefined) key = '';
      else if (key === undefined) keys.push(`${JSON.stringify(k)}:${c.key}`);
      o[k] = c.value;
    }
    out = o;
    if (key === undefined) key = `{${keys.join(',')}}`;
  }
  // '' marks a part holding a value of its own (a UID, an accession number): not shared, nor its parents.
  return key && key.length <= MAX_SHARED_LENGTH ? { value: table.sharePart(key, out), key } : { value: out };
}

const copy = (value: unknown, key: string, table: StringTable): unknown => copyOf(value, key, table).value;

function withoutVersion(meta: ImagingStudy['meta']): ImagingStudy['meta'] | undefined {
  if (!meta) return undefined;
  const { versionId: _v, lastUpdated: _l, ...rest } = meta;
  return Object.keys(rest).length ? rest : undefined;
}

/** The study as the worklist keeps it (see the header): no instance lists, narrative or version. */
export function compactStudy(study: ImagingStudy, table: StringTable): ImagingStudy {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(study)) {
    if (DROPPED.has(k) || v === undefined) continue;
    if (k === 'meta') {
      const meta = withoutVersion(v as ImagingStudy['meta']);
      if (meta) out.meta = copy(meta, k, table);
    } else if (k === 'series')
      out.series = (v as NonNullable<ImagingStudy['series']>).map(({ instance: _i, ...series }) =>
        copy(series, k, table),
      );
    else out[k] = copy(v, k, table);
  }
  return out as unknown as ImagingStudy;
}

/**
 * The patient as the worklist keeps it: its id, identifiers (links to the record server, the
 * item's MRN) and the one name the item shows (view.ts patientView: the official one, else the first).
 */
export function compactPatient(patient: Patient, table: StringTable): Patient {
  const name = patient.name?.find((x) => x.use === 'official') ?? patient.name?.[0];
  return {
    resourceType: 'Patient',
    ...(patient.id !== undefined ? { id: patient.id } : {}),
    ...(patient.identifier
      ? { identifier: copy(patient.identifier, 'identifier', table) as Patient['identifier'] }
      : {}),
    ...(name ? { name: [copy(name, 'name', table) as NonNullable<Patient['name']>[number]] } : {}),
  };
}
