/**
 * `imaging-bridge reconcile`: the assessment's comparison, then per difference the action of
 * reconcile-plan.ts — listed (dry run) or carried out (--apply) through ports, each audited.
 */
import type { AssessTargets } from './assess.js';
import { compareStudies, type Comparison, type PacsStudy } from './compare.js';
import { fhirStudies, ORPHAN_TAG } from './fhir-studies.js';
import { httpProbe, isRecord, parseJson } from './http-probe.js';
import { cFindStudies, qidoStudies } from './pacs-studies.js';
import type { ReconcileAction } from './reconcile-plan.js';
import type { Check } from './types.js';

export interface Compared {
  comparison: Comparison;
  pacsStudies: PacsStudy[];
  checks: Check[];
}

/** The comparison alone (no probing): PACS over QIDO when a DICOMweb target is given, else C-FIND. */
export async function compareNow(t: AssessTargets, o: { since: Date; timeoutMs: number }): Promise<Compared> {
  if (!t.fhir || (!t.dicomweb && !t.dimse))
    throw new Error('reconcile needs a FHIR server and a PACS (DICOMweb or DIMSE)');
  const since = o.since.toISOString().slice(0, 10).replaceAll('-', '');
  const pacs = t.dicomweb
    ? await qidoStudies(t.dicomweb.url, t.dicomweb.headers, since, { timeoutMs: o.timeoutMs })
    : await cFindStudies({ ...t.dimse!, callingAe: t.callingAe }, since, o.timeoutMs);
  if (pacs.check.status !== 'ok') throw new Error(`the PACS studies could not be listed: ${pacs.check.detail}`);
  const auth = await t.fhir.authorization?.();
  const found = await fhirStudies(
    { url: t.fhir.url, headers: auth ? { authorization: auth } : {} },
    pacs.studies,
    o.since.toISOString().slice(0, 10),
    o.timeoutMs,
  );
  // Marking orphans from an incomplete listing would mark studies that do exist.
  if (found.check.status !== 'ok') throw new Error(`the FHIR studies could not be listed: ${found.check.detail}`);
  const unique = [...new Map(pacs.studies.map((s) => [s.uid, s])).values()];
  return { comparison: compareStudies(unique, found.studies), pacsStudies: unique, checks: [pacs.check, found.check] };
}

export interface ApplyPorts {
  queueSync(studyUid: string): void;
  fetchFromSource(source: string, studyUid: string, studyDate: string | undefined): void | Promise<void>;
  fhir: { url: string; authorization?: () => Promise<string | undefined> };
  timeoutMs: number;
  /** Recorded before the next action starts; a failure to record stops the run. */
  audit(action: ReconcileAction, outcome: 'success' | 'failed', detail: string): Promise<void>;
  progress?(done: number, total: number): void;
}

export interface ApplyResult {
  done: number;
  failed: { action: ReconcileAction; detail: string }[];
}

export async function applyReconcile(
  actions: ReconcileAction[],
  dates: Map<string, string>,
  ports: ApplyPorts,
): Promise<ApplyResult> {
  const result: ApplyResult = { done: 0, failed: [] };
  let n = 0;
  for (const action of actions) {
    let detail = '';
    try {
      detail = await applyOne(action, dates, ports);
      result.done++;
      if (action.kind !== 'already-marked' && action.kind !== 'cannot-queue')
        await ports.audit(action, 'success', detail);
    } catch (e) {
      detail = (e as Error).message;
      result.failed.push({ action, detail });
      await ports.audit(action, 'failed', detail);
    }
    ports.progress?.(++n, actions.length);
  }
  return result;
}

async function applyOne(a: ReconcileAction, dates: Map<string, string>, p: ApplyPorts): Promise<string> {
  const base = p.fhir.url.replace(/\/+$/, '');
  const auth = await p.fhir.authorization?.();
  const headers: Record<string, string> = { accept: 'application/fhir+json', ...(auth ? { authorization: auth } : {}) };
  switch (a.kind) {
    case 'queue-sync':
      p.queueSync(a.studyUid);
      return 'queued for the bridge';
    case 'fetch-from-source':
      await p.fetchFromSource(a.source, a.studyUid, dates.get(a.studyUid));
      return `queued for source ${a.source}`;
    case 'cannot-queue':
      return a.why;
    case 'already-marked':
      return 'already marked';
    case 'delete-orphan': {
      const r = await httpProbe('delete', `${base}/ImagingStudy/${encodeURIComponent(a.fhirId)}`, {
        method: 'DELETE',
        headers,
        timeoutMs: p.timeoutMs,
      });
      if (r.check.status !== 'ok' && r.answer?.status !== 404) throw new Error(`DELETE failed: ${r.check.detail}`);
      return `deleted ImagingStudy/${a.fhirId}`;
    }
    case 'mark-orphan': {
      const url = `${base}/ImagingStudy/${encodeURIComponent(a.fhirId)}`;
      const read = await httpProbe('read', url, { headers, timeoutMs: p.timeoutMs });
      const resource = read.answer?.status === 200 ? parseJson(read.answer.text) : undefined;
      if (!isRecord(resource)) throw new Error(`read failed: ${read.check.detail}`);
      const meta = isRecord(resource.meta) ? resource.meta : {};
      const tags = Array.isArray(meta.tag) ? meta.tag : [];
      if (tags.some((t) => isRecord(t) && t.system === ORPHAN_TAG.system && t.code === ORPHAN_TAG.code))
        return 'already marked';
      const version = typeof meta.versionId === 'string' ? meta.versionId : undefined;
      const body = JSON.stringify({ ...resource, meta: { ...meta, tag: [...tags, ORPHAN_TAG] } });
      const put = await httpProbe('update', url, {
        method: 'PUT',
        body,
        headers: {
          ...headers,
          'content-type': 'application/fhir+json',
          ...(version ? { 'if-match': `W/"${version}"` } : {}),
        },
        timeoutMs: p.timeoutMs,
      });
      if (put.check.status !== 'ok') throw new Error(`update failed: ${put.check.detail}`);
      return `marked ImagingStudy/${a.fhirId} with ${ORPHAN_TAG.system}|${ORPHAN_TAG.code}`;
    }
  }
}
