import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { DicomJson } from '../../dicom/index.js';
import type { QidoRequest, QidoResponse } from '../../archive/query/index.js';
import type { QueryModel } from '../sop-classes.js';
import { planFind, type FindPlan } from './find-plan.js';
import { groupByPatient, responseIdentifier } from './find-response.js';

/** The one method of QidoService the DIMSE services use. */
export interface QidoPort {
  search(req: QidoRequest): QidoResponse;
}

export interface QueryOptions {
  qido: QidoPort;
  /** Results per QIDO page (at most the service's own cap). */
  pageSize: number;
}

/**
 * Every QIDO result of a search, page after page (C-FIND has no result limit), yielding
 * to the event loop between pages so a C-CANCEL can be read.
 */
export async function* allResults(opts: QueryOptions, req: QidoRequest): AsyncGenerator<DicomJson> {
  for (let offset = 0; ; offset += opts.pageSize) {
    const query = new URLSearchParams(req.query);
    query.set('limit', String(opts.pageSize));
    query.set('offset', String(offset));
    const page = opts.qido.search({ ...req, query }).body;
    yield* page;
    if (page.length < opts.pageSize) return;
    await yieldToEventLoop();
  }
}

/**
 * C-FIND (transport-free): identifier → response identifiers, in index order. Throws
 * DimseError for identifiers we cannot answer, QueryError from the query engine for keys it refuses.
 */
export async function* find(
  opts: QueryOptions & { aeTitle: string },
  model: QueryModel,
  identifier: DicomJson,
  cancelled: () => boolean,
): AsyncGenerator<DicomJson> {
  const plan: FindPlan = planFind(identifier, model);
  const results = allResults(opts, { level: plan.qidoLevel, query: plan.query });
  if (plan.level === 'PATIENT') {
    const studies: DicomJson[] = [];
    for await (const study of results) {
      if (cancelled()) return;
      studies.push(study);
    }
    for (const patient of groupByPatient(studies)) yield responseIdentifier(patient, plan, opts.aeTitle);
    return;
  }
  for await (const result of results) {
    if (cancelled()) return;
    yield responseIdentifier(result, plan, opts.aeTitle);
  }
}
