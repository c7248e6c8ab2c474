/** The studies of the PACS in the window: QIDO-RS paged with limit/offset, or one study-level C-FIND. */
import { cFind } from '../dimse/scu/index.js';
import { httpProbe, parseJson } from './http-probe.js';
import type { PacsStudy } from './compare.js';
import type { DimseTarget } from './dimse-probe.js';
import type { Check } from './types.js';

type Json = Record<string, { Value?: unknown[] } | undefined>;
const value = (j: Json, tag: string): string | undefined => {
  const v = j[tag]?.Value?.[0];
  return typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
};
const count = (j: Json, tag: string): number | undefined => {
  const v = value(j, tag);
  return v !== undefined && /^\d+$/.test(v.trim()) ? Number(v) : undefined;
};

export function pacsStudyOf(j: Json): PacsStudy | undefined {
  const uid = value(j, '0020000D');
  if (!uid) return undefined;
  const patientId = value(j, '00100020');
  const date = value(j, '00080020');
  const series = count(j, '00201206');
  const instances = count(j, '00201208');
  return {
    uid,
    ...(patientId ? { patientId } : {}),
    ...(date ? { date } : {}),
    ...(series !== undefined ? { series } : {}),
    ...(instances !== undefined ? { instances } : {}),
  };
}

const INCLUDE = 'includefield=00100020&includefield=00080020&includefield=00201206&includefield=00201208';

/** Pages until a page is shorter than the first full one (servers may cap `limit` below what was asked). */
export async function qidoStudies(
  base: string,
  headers: Record<string, string>,
  since: string,
  o: { timeoutMs: number; pageSize?: number },
): Promise<{ studies: PacsStudy[]; check: Check }> {
  const limit = o.pageSize ?? 1000;
  const studies: PacsStudy[] = [];
  const started = performance.now();
  let pageSize = limit;
  let pages = 0;
  const url = (offset: number) =>
    `${base.replace(/\/+$/, '')}/studies?StudyDate=${since}-&${INCLUDE}&limit=${limit}&offset=${offset}`;
  for (let offset = 0; ; ) {
    const r = await httpProbe('pacs studies', url(offset), {
      timeoutMs: o.timeoutMs,
      headers: { ...headers, accept: 'application/dicom+json' },
      maxBytes: 512 * 1024 * 1024,
    });
    pages++;
    if (r.answer?.status === 204) break;
    const page = r.answer?.status === 200 ? parseJson(r.answer.text) : undefined;
    if (!Array.isArray(page)) {
      const detail = `page at offset ${offset}: ${r.check.detail}`;
      return { studies, check: { ...r.check, status: 'failed', detail } };
    }
    for (const j of page) {
      const s = pacsStudyOf(j as Json);
      if (s) studies.push(s);
    }
    if (offset === 0) pageSize = Math.max(1, Math.min(page.length, limit));
    offset += page.length;
    if (page.length === 0 || page.length < pageSize) break;
  }
  return {
    studies,
    check: {
      name: 'pacs studies',
      status: 'ok',
      request: `GET ${url(0)} (and further pages)`,
      httpStatus: 200,
      ms: Math.round(performance.now() - started),
      detail: `${studies.length} studies since ${since} in ${pages} page${pages === 1 ? '' : 's'}`,
    },
  };
}

export async function cFindStudies(
  t: DimseTarget,
  since: string,
  timeoutMs: number,
): Promise<{ studies: PacsStudy[]; check: Check }> {
  const started = performance.now();
  const request = `C-FIND STUDY StudyDate=${since}- ${t.aet}@${t.host}:${t.port}`;
  try {
    const answers = await cFind(
      { peer: { host: t.host, port: t.port, tls: false }, callingAe: t.callingAe, calledAe: t.aet, timeoutMs },
      'STUDY',
      {
        StudyDate: `${since}-`,
        StudyInstanceUID: '',
        PatientID: '',
        NumberOfStudyRelatedSeries: '',
        NumberOfStudyRelatedInstances: '',
      },
    );
    const studies = answers.map((a) => pacsStudyOf(a as Json)).filter((s): s is PacsStudy => Boolean(s));
    const ms = Math.round(performance.now() - started);
    return {
      studies,
      check: { name: 'pacs studies', status: 'ok', request, dimseStatus: 0, ms, detail: `${studies.length} studies` },
    };
  } catch (e) {
    const ms = Math.round(performance.now() - started);
    return {
      studies: [],
      check: { name: 'pacs studies', status: 'failed', request, ms, detail: (e as Error).message },
    };
  }
}
