/**
 * What changed on an external record server since the last look: each watched type is searched by
 * `_lastUpdated` from the newest change already seen (the server's own times, so clocks need not
 * agree), with a small overlap for writes committed out of order; versions already seen are
 * skipped. An EHR's writes do not pass through our server, and R4 Subscriptions are not offered by
 * every EHR: a plain search is what any R4 server answers. Deletions are not seen (docs/worklist.md).
 */
import type { FhirClient } from '../../fhir/client/index.js';
import type { FhirResource } from '../../fhir/types.js';

/** Types that move the worklist, with the filter of each (only triage Observations live on the EHR). */
export const RECORD_WATCH: [string, Record<string, string>][] = [
  ['Patient', {}],
  ['Encounter', {}],
  ['Location', {}],
  ['Flag', {}],
  ['Observation', { code: 'http://loinc.org|75636-1' }],
  ['DiagnosticReport', {}],
  ['ServiceRequest', {}],
];

const OVERLAP_MS = 2_000;
const PAGE = 200;

interface Mark {
  /** The newest lastUpdated seen (ISO instant), or undefined while the type held nothing. */
  at?: string;
  /** `Type/id/versionId|lastUpdated` of the changes seen within the overlap before `at`. */
  seen: Set<string>;
}

const lastUpdated = (r: FhirResource): string | undefined =>
  (r.meta as { lastUpdated?: string } | undefined)?.lastUpdated;
const versionKey = (r: FhirResource) =>
  `${r.resourceType}/${r.id}/${(r.meta as { versionId?: string } | undefined)?.versionId ?? ''}|${lastUpdated(r) ?? ''}`;

export class RecordPoller {
  private readonly marks = new Map<string, Mark>();

  constructor(
    private readonly client: Pick<FhirClient, 'search' | 'searchAll'>,
    private readonly watch: [string, Record<string, string>][] = RECORD_WATCH,
  ) {}

  /** Takes the newest change of each type as the starting point (call before reading the record). */
  async start(): Promise<void> {
    for (const [type, filter] of this.watch) {
      const bundle = await this.client.search(type, { ...filter, _sort: '-_lastUpdated', _count: 1 });
      const newest = bundle.entry?.find((e) => e.resource)?.resource;
      const at = newest ? lastUpdated(newest) : undefined;
      this.marks.set(type, { ...(at ? { at } : {}), seen: new Set(newest ? [versionKey(newest)] : []) });
    }
  }

  /** The resources changed since the last call (oldest first per type); throws when the server fails. */
  async changes(): Promise<FhirResource[]> {
    const out: FhirResource[] = [];
    for (const [type, filter] of this.watch) {
      const mark = this.marks.get(type) ?? { seen: new Set<string>() };
      const from = mark.at ? new Date(Date.parse(mark.at) - OVERLAP_MS).toISOString() : undefined;
      const found = await this.client.searchAll(
        type,
        { ...filter, ...(from ? { _lastUpdated: `ge${from}` } : {}), _sort: '_lastUpdated', _count: PAGE },
        { maxResources: 10_000, maxPages: 100 },
      );
      let at = mark.at;
      for (const r of found) {
        const when = lastUpdated(r);
        if (when && (!at || Date.parse(when) > Date.parse(at))) at = when;
      }
      const floor = at ? Date.parse(at) - OVERLAP_MS : 0;
      const seen = new Set<string>();
      for (const key of mark.seen) if (Date.parse(key.split('|')[1] ?? '') >= floor) seen.add(key);
      for (const r of found) {
        const key = versionKey(r);
        if (!mark.seen.has(key)) out.push(r);
        if (Date.parse(lastUpdated(r) ?? '') >= floor) seen.add(key);
      }
      this.marks.set(type, { ...(at ? { at } : {}), seen });
    }
    return out;
  }
}
