import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { DicomJson } from '../../dicom/index.js';
import type { QidoRequest, QidoResults } from '../../archive/query/index.js';
import type { QueryModel } from '../sop-classes.js';
import { planFind, type FindPlan } from './find-plan.js';
import { groupByPatient, responseIdentifier } from './find-response.js';

/** The one method of QidoService the DIMSE services use. */
export interface QidoPort {
  open(req: QidoRequest, opts: { uncapped: true }): Promise<QidoResults>;
}

export interface QueryOptions {
  qido: QidoPort;
}

/**
 * Every QIDO result of a search (C-FIND has no result limit: the server cap does not apply),
 * chunk after chunk, yielding to the event loop between chunks so a C-CANCEL can be read.
 */
export async function* allResults(opts: QueryOptions, req: QidoRequest): AsyncGenerator<DicomJson> {
  for await (const chunk of (await opts.qido.open(req, { uncapped: true })).chunks) {
    yield* chunk;
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
