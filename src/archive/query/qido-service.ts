import type { Database, Statement } from 'better-sqlite3';
import type { DicomJson } from '../../dicom/types.js';
import { compileSearch } from './compile-search.js';
import { renderDataset, type ResultRow } from './render-dataset.js';
import type { ReturnPlan } from './return-plan.js';
import { BEFORE_ALL, chunkParams, PK_ALIAS } from './search-sql.js';
import type { SqlPart } from './sql-part.js';
import { StatementCache } from './statement-cache.js';
import type { QidoOptions, QidoRequest, QidoResponse, QidoResults } from './types.js';
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
 * QIDO-RS search (PS3.18 10.6) answered from the archive index alone. Transport-free:
 * the route layer turns the results into a 200 with `application/dicom+json` (an empty
 * array when nothing matches) and one Warning header per warning; a QueryError into a 400.
 */
export class QidoService {
  private readonly statements: StatementCache;
  private readonly dicomWebBase: string;
  private readonly maxResults: number;

  constructor(db: Database, opts: QidoOptions) {
    this.maxResults = opts.maxResults ?? 0;
    if (!Number.isInteger(this.maxResults) || this.maxResults < 0)
      throw new RangeError('maxResults must be a non-negative integer (0: no cap)');
    this.statements = new StatementCache(db);
    this.dicomWebBase = `${opts.publicUrl.replace(/\/+$/, '')}/dicomweb`;
    // Unicode case folding for PN attributes matched in stored JSON (SQLite's lower() is ASCII-only).
    db.function('qido_lower', { deterministic: true }, (s: unknown) => (typeof s === 'string' ? s.toLowerCase() : s));
  }

  /**
   * Checks and compiles the request (QueryError here, before anything is sent) and returns
   * its warnings and its results, read one chunk per step. `uncapped`: the server cap does
   * not apply (C-FIND, C-MOVE and C-GET have no result limit).
   */
  open(req: QidoRequest, opts: { uncapped?: boolean } = {}): QidoResults {
    const { query, plan, limit, statement } = compileSearch(req, opts.uncapped ? 0 : this.maxResults);
    const warnings: string[] = [];
    if (query.fuzzyMatching) warnings.push(FUZZY_MATCHING_NOT_SUPPORTED);
    if (query.emptyValueMatching) warnings.push(EMPTY_VALUE_MATCHING_NOT_SUPPORTED);
    if (query.ignored.length > 0) warnings.push(ignoredParameters(query.ignored));
    const stmt = this.statements.get(statement.sql);
    const cutByServer = limit !== undefined && (query.limit === undefined || query.limit > limit);
    // Whether the cap cuts is known only by looking one result past it: one row, before the first is sent.
    if (cutByServer && stmt.get(...chunkParams(statement, { after: BEFORE_ALL, take: 1, skip: query.offset + limit })))
      warnings.push(RESULTS_TRUNCATED);
    return { warnings, chunks: this.chunks(stmt, statement, plan, query.offset, limit), limit };
  }

  /** The whole answer in memory: for small searches and tests. Large answers: open(). */
  search(req: QidoRequest): QidoResponse {
    const { warnings, chunks } = this.open(req);
    const body: DicomJson[] = [];
    for (const chunk of chunks) body.push(...chunk);
    return { body, warnings };
  }

  private *chunks(
    stmt: Statement,
    statement: SqlPart,
    plan: ReturnPlan,
    offset: number,
    limit = Infinity,
  ): Generator<DicomJson[]> {
    let after = BEFORE_ALL;
    let skip = offset;
    let left = limit;
    let size = FIRST_CHUNK;
    while (left > 0) {
      const take = Math.min(size, left);
      const chunk: DicomJson[] = [];
      // Read whole within this step (`all`: cheaper than `iterate` row by row; a chunk is bounded):
      // no cursor is open when the chunk is handed out.
      for (const row of stmt.all(...chunkParams(statement, { after, take, skip })) as ResultRow[]) {
        chunk.push(renderDataset(row, plan, this.dicomWebBase));
        after = row[PK_ALIAS] as number;
      }
      if (chunk.length > 0) yield chunk;
      if (chunk.length < take) return;
      left -= chunk.length;
      skip = 0;
      size = NEXT_CHUNK;
    }
  }
}
