/**
 * ImagingStudy resources for the comparison, in few requests: one paged search over the window
 * (`started=ge…`), then batched identifier searches for the PACS studies not found that way,
 * the subjects' identifiers batched by `_id`, and AI results by `derived-from` — all with
 * `_elements`, never one request per study.
 */
import { bareUid, type FhirStudy, type PacsStudy } from './compare.js';
import { httpProbe, isRecord, parseJson } from './http-probe.js';
import type { Check } from './types.js';

const UID_SYSTEM = 'urn:dicom:uid';

/** The meta.tag `reconcile --apply` puts on an ImagingStudy whose study the PACS does not have. */
export const ORPHAN_TAG = {
  system: 'urn:imaging-bridge:reconcile',
  code: 'not-in-pacs',
  display: 'Study not found in the PACS (imaging-bridge reconcile)',
} as const;
const BATCH = 40;
const PARALLEL = 4;

interface Ctx {
  base: string;
  headers: Record<string, string>;
  timeoutMs: number;
  requests: number;
  failures: string[];
}

/** Every resource of a search, following `next` links. */
async function searchAll(ctx: Ctx, first: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  let url: string | undefined = first;
  while (url) {
    const r = await httpProbe('fhir search', url, {
      timeoutMs: ctx.timeoutMs,
      headers: ctx.headers,
      maxBytes: 256 * 1024 * 1024,
    });
    ctx.requests++;
    const bundle = r.answer?.status === 200 ? parseJson(r.answer.text) : undefined;
    if (!isRecord(bundle)) {
      ctx.failures.push(`${r.check.request}: ${r.check.detail}`);
      return out;
    }
    for (const e of Array.isArray(bundle.entry) ? bundle.entry : [])
      if (isRecord(e) && isRecord(e.resource)) out.push(e.resource);
    const next = (Array.isArray(bundle.link) ? bundle.link : []).find((l) => isRecord(l) && l.relation === 'next');
    url = isRecord(next) && typeof next.url === 'string' ? next.url : undefined;
  }
  return out;
}

async function inBatches<T>(items: T[], fn: (batch: T[]) => Promise<void>): Promise<void> {
  const batches: T[][] = [];
  for (let i = 0; i < items.length; i += BATCH) batches.push(items.slice(i, i + BATCH));
  let next = 0;
  const worker = async () => {
    while (next < batches.length) await fn(batches[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, batches.length) }, worker));
}

export function fhirStudyOf(r: Record<string, unknown>): FhirStudy | undefined {
  if (r.resourceType !== 'ImagingStudy' || typeof r.id !== 'string') return undefined;
  const ids = Array.isArray(r.identifier) ? r.identifier.filter(isRecord) : [];
  const id = ids.find((i) => i.system === UID_SYSTEM && typeof i.value === 'string');
  if (!id) return undefined;
  const subject = isRecord(r.subject) && typeof r.subject.reference === 'string' ? r.subject.reference : undefined;
  const meta = isRecord(r.meta) ? r.meta : {};
  return {
    id: r.id,
    uid: bareUid(id.value as string),
    ...(subject ? { subject } : {}),
    ...(typeof r.started === 'string' ? { started: r.started } : {}),
    ...(typeof r.numberOfSeries === 'number' ? { series: r.numberOfSeries } : {}),
    ...(typeof r.numberOfInstances === 'number' ? { instances: r.numberOfInstances } : {}),
    ...(typeof meta.lastUpdated === 'string' ? { lastUpdated: meta.lastUpdated } : {}),
    ...(Array.isArray(meta.tag) &&
    meta.tag.some((t) => isRecord(t) && t.system === ORPHAN_TAG.system && t.code === ORPHAN_TAG.code)
      ? { orphanTagged: true }
      : {}),
  };
}

const ELEMENTS = '_elements=identifier,subject,started,numberOfSeries,numberOfInstances';

export interface FhirStudiesResult {
  studies: FhirStudy[];
  /** Studies referenced by at least one Observation.derivedFrom. */
  withResults: number;
  check: Check;
}

export async function fhirStudies(
  target: { url: string; headers: Record<string, string> },
  pacs: PacsStudy[],
  sinceIso: string,
  timeoutMs: number,
): Promise<FhirStudiesResult> {
  const base = target.url.replace(/\/+$/, '');
  const ctx: Ctx = {
    base,
    headers: { ...target.headers, accept: 'application/fhir+json' },
    timeoutMs,
    requests: 0,
    failures: [],
  };
  const started = performance.now();
  const byUid = new Map<string, FhirStudy>();
  const add = (rs: Record<string, unknown>[]) => {
    for (const r of rs) {
      const s = fhirStudyOf(r);
      if (s && !byUid.has(s.uid)) byUid.set(s.uid, s);
    }
  };
  add(await searchAll(ctx, `${base}/ImagingStudy?started=ge${sinceIso}&${ELEMENTS}&_count=1000`));
  const missing = pacs.map((p) => p.uid).filter((uid) => !byUid.has(uid));
  await inBatches(missing, async (uids) => {
    const values = uids.map((u) => `${UID_SYSTEM}|urn:oid:${u}`).join(',');
    add(
      await searchAll(
        ctx,
        `${base}/ImagingStudy?identifier=${encodeURIComponent(values)}&${ELEMENTS}&_count=${BATCH * 2}`,
      ),
    );
  });
  const studies = [...byUid.values()];
  await patientIdentifiers(ctx, studies);
  const withResults = await referencedByResults(ctx, studies);
  const failed = ctx.failures.length > 0;
  return {
    studies,
    withResults,
    check: {
      name: 'fhir studies',
      status: failed ? 'failed' : 'ok',
      request: `GET ${base}/ImagingStudy?started=ge${sinceIso}&${ELEMENTS} + ${ctx.requests - 1} batched searches`,
      ms: Math.round(performance.now() - started),
      detail: failed
        ? `${ctx.failures.length} searches failed, first: ${ctx.failures[0]}`
        : `${studies.length} ImagingStudy resources in ${ctx.requests} requests`,
    },
  };
}

async function patientIdentifiers(ctx: Ctx, studies: FhirStudy[]): Promise<void> {
  const ids = [
    ...new Set(studies.map((s) => /^Patient\/([^/]+)$/.exec(s.subject ?? '')?.[1]).filter(Boolean)),
  ] as string[];
  const byId = new Map<string, string[]>();
  await inBatches(ids, async (batch) => {
    const rs = await searchAll(
      ctx,
      `${ctx.base}/Patient?_id=${batch.map(encodeURIComponent).join(',')}&_elements=identifier&_count=${BATCH * 2}`,
    );
    for (const p of rs) {
      const values = (Array.isArray(p.identifier) ? p.identifier.filter(isRecord) : [])
        .map((i) => i.value)
        .filter((v): v is string => typeof v === 'string');
      if (typeof p.id === 'string') byId.set(p.id, values);
    }
  });
  for (const s of studies) {
    const id = /^Patient\/([^/]+)$/.exec(s.subject ?? '')?.[1];
    const values = id ? byId.get(id) : undefined;
    if (values) s.patientIds = values;
  }
}

async function referencedByResults(ctx: Ctx, studies: FhirStudy[]): Promise<number> {
  const referenced = new Set<string>();
  await inBatches(studies, async (batch) => {
    const refs = batch.map((s) => `ImagingStudy/${s.id}`).join(',');
    const rs = await searchAll(
      ctx,
      `${ctx.base}/Observation?derived-from=${encodeURIComponent(refs)}&_elements=derivedFrom&_count=1000`,
    );
    for (const o of rs)
      for (const d of Array.isArray(o.derivedFrom) ? o.derivedFrom.filter(isRecord) : [])
        if (typeof d.reference === 'string' && d.reference.startsWith('ImagingStudy/')) referenced.add(d.reference);
  });
  return studies.filter((s) => referenced.has(`ImagingStudy/${s.id}`)).length;
}
