import type { DicomJson } from '../../dicom/types.js';
import type { PreparedSearch, QidoBackend } from './qido-backend.js';
import { renderDataset, type ResultRow } from './render-dataset.js';
import { datasetTextWriter, tupleTextWriter } from './render-text.js';
import type { ReturnPlan } from './return-plan.js';
import { planSearch, type SearchPlan } from './search-plan.js';
import { BEFORE_ALL, type ChunkBounds, PK_ALIAS, resultColumns } from './search-sql.js';
import type { DatasetsText, QidoOptions, QidoRequest, QidoResponse, QidoResults } from './types.js';
import {
  EMPTY_VALUE_MATCHING_NOT_SUPPORTED,
  FUZZY_MATCHING_NOT_SUPPORTED,
  RESULTS_TRUNCATED,
  ignoredParameters,
} from './warnings.js';

/** Rows per chunk: a small first one so the answer starts at once, then larger ones. */
export const FIRST_CHUNK = 100;
export const NEXT_CHUNK = 500;

/**
 * QIDO-RS search (PS3.18 10.6) answered from the archive index alone: parse → plan (shared),
 * compiled and run by the index's backend, rendered here (shared). Transport-free:
 * the route layer turns the results into a 200 with `application/dicom+json` (an empty
 * array when nothing matches) and one Warning header per warning; a QueryError into a 400.
 */
export class QidoService {
  private readonly dicomWebBase: string;
  private readonly maxResults: number;

  constructor(
    private readonly backend: QidoBackend,
    opts: QidoOptions,
  ) {
    this.maxResults = opts.maxResults ?? 0;
    if (!Number.isInteger(this.maxResults) || this.maxResults < 0)
      throw new RangeError('maxResults must be a non-negative integer (0: no cap)');
    this.dicomWebBase = `${opts.publicUrl.replace(/\/+$/, '')}/dicomweb`;
  }

  /**
   * Checks and compiles the request (QueryError here, before anything is sent) and returns
   * its warnings and its results, read one chunk per step. `uncapped`: the server cap does
   * not apply (C-FIND, C-MOVE and C-GET have no result limit).
   */
  async open(req: QidoRequest, opts: { uncapped?: boolean } = {}): Promise<QidoResults> {
    const search = planSearch(req, opts.uncapped ? 0 : this.maxResults);
    const { query, plan, limit } = search;
    const warnings: string[] = [];
    if (query.fuzzyMatching) warnings.push(FUZZY_MATCHING_NOT_SUPPORTED);
    if (query.emptyValueMatching) warnings.push(EMPTY_VALUE_MATCHING_NOT_SUPPORTED);
    if (query.ignored.length > 0) warnings.push(ignoredParameters(query.ignored));
    const prepared = this.backend.prepare(search);
    const cutByServer = limit !== undefined && (query.limit === undefined || query.limit > limit);
    // Whether the cap cuts is known only by looking one result past it: one row, before the first is sent.
    if (cutByServer && (await prepared.rows({ after: BEFORE_ALL, take: 1, skip: query.offset + limit })).length > 0)
      warnings.push(RESULTS_TRUNCATED);
    return {
      warnings,
      chunks: this.chunks(prepared, plan, query.offset, limit),
      text: this.text(search, prepared, query.offset, limit),
      limit,
    };
  }

  /** The whole answer in memory: for small searches and tests. Large answers: open(). */
  async search(req: QidoRequest): Promise<QidoResponse> {
    const { warnings, chunks } = await this.open(req);
    const body: DicomJson[] = [];
    for await (const chunk of chunks) body.push(...chunk);
    return { body, warnings };
  }

  private async *chunks(
    prepared: PreparedSearch,
    plan: ReturnPlan,
    offset: number,
    limit?: number,
  ): AsyncGenerator<DicomJson[]> {
    for await (const rows of rowChunks(prepared, offset, limit))
      yield rows.map((row) => renderDataset(row, plan, this.dicomWebBase));
  }

  private async *text(
    search: SearchPlan,
    prepared: PreparedSearch,
    offset: number,
    limit?: number,
  ): AsyncGenerator<DatasetsText> {
    const base = this.dicomWebBase;
    // Results of index columns alone come written by the database: one string per result, nothing to render.
    const written = this.backend.prepareText(search, base);
    if (written) {
      for await (const rows of chunksOf(written, (row) => row[1], offset, limit))
        yield { count: rows.length, results: rows.map((row) => row[0]) };
      return;
    }
    const { plan } = search;
    if (prepared.tuples && plan.stored.size === 0) {
      // Rows as arrays, the key last (resultColumns).
      const writeTuple = tupleTextWriter(plan, base)!;
      const pk = resultColumns(plan).length - 1;
      const tuples = { rows: (bounds: ChunkBounds) => prepared.tuples!(bounds) };
      // The next chunk is asked for before this one is written: the database finds it meanwhile.
      for await (const rows of chunksOf(tuples, (row) => row[pk] as number, offset, limit, true))
        yield { count: rows.length, results: rows.map(writeTuple) };
      return;
    }
    const write = datasetTextWriter(plan, base) ?? ((row: ResultRow) => JSON.stringify(renderDataset(row, plan, base)));
    for await (const rows of rowChunks(prepared, offset, limit)) yield { count: rows.length, results: rows.map(write) };
  }
}

/**
 * The matching rows, a chunk per step: each one statement read whole within its step (`all`:
 * cheaper than `iterate` row by row; a chunk is bounded), so no cursor is open when it is handed out.
 */
const rowChunks = (prepared: PreparedSearch, offset: number, limit?: number): AsyncGenerator<ResultRow[]> =>
  chunksOf(prepared, (row) => row[PK_ALIAS] as number, offset, limit);

async function* chunksOf<Row>(
  prepared: { rows(bounds: ChunkBounds): Promise<Row[]> },
  pkOf: (row: Row) => number,
  offset: number,
  limit = Infinity,
  readAhead = false,
): AsyncGenerator<Row[]> {
  let left = limit;
  let take = Math.min(FIRST_CHUNK, left);
  let bounds: ChunkBounds | undefined = take > 0 ? { after: BEFORE_ALL, take, skip: offset } : undefined;
  let ahead: Promise<Row[]> | undefined;
  while (bounds) {
    const rows = await (ahead ?? prepared.rows(bounds));
    left -= rows.length;
    bounds = undefined;
    ahead = undefined;
    if (rows.length === take && left > 0) {
      take = Math.min(NEXT_CHUNK, left);
      bounds = { after: pkOf(rows[rows.length - 1]!), take, skip: 0 };
      if (readAhead) {
        ahead = prepared.rows(bounds);
        // Left unread if the reader stops at this chunk (the client went away): not an unhandled rejection.
        ahead.catch(() => undefined);
      }
    }
    if (rows.length > 0) yield rows;
  }
}
