import type { StoreContext } from '../archive/archive.js';
import type { StoreOutcome } from '../archive/types.js';
import type { FhirClient } from '../fhir/client/index.js';
import type { Bundle, BundleEntry } from '../fhir/types.js';
import { demoDataset, type DemoOptions } from './dataset.js';
import { eachStudyInstance, type DemoInstance } from './dicom-study.js';
import type { DemoEntry } from './types.js';

/** Where the demo goes: any FHIR server through the client, and the archive's single ingest path. */
export interface DemoTargets {
  fhir: FhirClient;
  archive: { store(chunks: AsyncIterable<Buffer>, ctx: StoreContext): Promise<StoreOutcome> };
}

export interface DemoLoadReport {
  patients: number;
  resources: { created: number; existing: number };
  studies: number;
  instances: { stored: number; duplicate: number; newVersion: number };
}

const STORE_CONCURRENCY = 4;

/**
 * Loads the demo dataset idempotently: every resource is a conditional create on its
 * identifier (one transaction per patient, so a patient is there whole or not at all), every
 * instance goes through archive.store, which reports a repeat as a duplicate. Running it again
 * changes nothing. ImagingStudy resources are left to the DICOM→FHIR bridge.
 */
export async function loadDemoData(targets: DemoTargets, options: DemoOptions = {}): Promise<DemoLoadReport> {
  const dataset = demoDataset(options);
  const report: DemoLoadReport = {
    patients: dataset.records.length,
    resources: { created: 0, existing: 0 },
    studies: 0,
    instances: { stored: 0, duplicate: 0, newVersion: 0 },
  };

  const facility = await writeTransaction(targets.fhir, dataset.facility, new Map(), report);
  if (facility.size !== dataset.facility.length)
    throw new Error('demo: the FHIR server did not tell where the facility resources are');
  for (const record of dataset.records) await writeTransaction(targets.fhir, record.entries, facility, report);

  const studies = dataset.records.flatMap((r) => r.studies);
  report.studies = studies.length;
  // The files are made batch by batch, as they are stored: made all at once first (4.6 MB of files
  // held through the whole load, their encoding's garbage in one burst without a collection) they
  // left malloc's heap of the idle server ≈ 4 MB larger (issue 21, session 19).
  const store = async (batch: DemoInstance[]) => {
    const outcomes = await Promise.all(batch.map((f) => targets.archive.store(once(f.bytes), { source: 'demo' })));
    for (const o of outcomes) {
      if (o.kind === 'stored') report.instances.stored++;
      else if (o.kind === 'duplicate') report.instances.duplicate++;
      else report.instances.newVersion++;
    }
  };
  let batch: DemoInstance[] = [];
  for (const study of studies)
    for (const file of eachStudyInstance(study)) {
      batch.push(file);
      if (batch.length === STORE_CONCURRENCY) {
        await store(batch);
        batch = [];
      }
    }
  if (batch.length > 0) await store(batch);
  return report;
}

/** One transaction of conditional creates; returns each entry's fullUrl → the `Type/id` it has on the server. */
async function writeTransaction(
  fhir: FhirClient,
  entries: DemoEntry[],
  resolved: Map<string, string>,
  report: DemoLoadReport,
): Promise<Map<string, string>> {
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: entries.map(
      (e): BundleEntry => ({
        fullUrl: e.fullUrl,
        resource: replaceReferences(e.resource, resolved),
        request: {
          method: 'POST',
          url: e.resource.resourceType,
          ifNoneExist: `identifier=${encodeURIComponent(`${e.key.system}|${e.key.value}`)}`,
        },
      }),
    ),
  };
  const response = await fhir.transaction(bundle);
  const ids = new Map<string, string>();
  entries.forEach((e, i) => {
    const answer = response.entry?.[i];
    if (answer?.response?.status.startsWith('201')) report.resources.created++;
    else report.resources.existing++;
    const id = answer?.resource?.id
      ? `${answer.resource.resourceType}/${answer.resource.id}`
      : typeId(answer?.response?.location ?? answer?.fullUrl);
    if (id) ids.set(e.fullUrl, id);
  });
  return ids;
}

/** `Type/id` of a Location or fullUrl (`…/Patient/123/_history/1` → `Patient/123`). */
function typeId(url: string | undefined): string | undefined {
  return url?.match(/([A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/)?.[1];
}

/** A copy of `value` with every `reference` found in `map` replaced. */
function replaceReferences<T>(value: T, map: Map<string, string>): T {
  if (map.size === 0) return value;
  if (Array.isArray(value)) return value.map((v) => replaceReferences(v, map)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      out[k] = k === 'reference' && typeof v === 'string' && map.has(v) ? map.get(v) : replaceReferences(v, map);
    return out as T;
  }
  return value;
}

async function* once(bytes: Buffer): AsyncIterable<Buffer> {
  yield bytes;
}
