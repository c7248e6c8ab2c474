import type { Database } from 'better-sqlite3';
import { compileSearch } from './compile-search.js';
import { renderDataset, type ResultRow } from './render-dataset.js';
import { StatementCache } from './statement-cache.js';
import type { QidoOptions, QidoRequest, QidoResponse } from './types.js';
import {
  EMPTY_VALUE_MATCHING_NOT_SUPPORTED,
  FUZZY_MATCHING_NOT_SUPPORTED,
  RESULTS_TRUNCATED,
  ignoredParameters,
} from './warnings.js';

/**
 * QIDO-RS search (PS3.18 10.6) answered from the archive index alone. Transport-free:
 * the route layer turns the response into a 200 with `application/dicom+json` (an empty
 * array when nothing matches) and one Warning header per warning; a QueryError into a 400.
 */
export class QidoService {
  private readonly statements: StatementCache;
  private readonly dicomWebBase: string;

  constructor(
    db: Database,
    private readonly opts: QidoOptions,
  ) {
    if (!Number.isInteger(opts.maxResults) || opts.maxResults < 1)
      throw new RangeError('maxResults must be a positive integer');
    this.statements = new StatementCache(db);
    this.dicomWebBase = `${opts.publicUrl.replace(/\/+$/, '')}/dicomweb`;
    // Unicode case folding for PN attributes matched in stored JSON (SQLite's lower() is ASCII-only).
    db.function('qido_lower', { deterministic: true }, (s: unknown) => (typeof s === 'string' ? s.toLowerCase() : s));
  }

  search(req: QidoRequest): QidoResponse {
    const { query, plan, limit, statement } = compileSearch(req, this.opts.maxResults);
    const warnings: string[] = [];
    if (query.fuzzyMatching) warnings.push(FUZZY_MATCHING_NOT_SUPPORTED);
    if (query.emptyValueMatching) warnings.push(EMPTY_VALUE_MATCHING_NOT_SUPPORTED);
    if (query.ignored.length > 0) warnings.push(ignoredParameters(query.ignored));

    const rows = this.statements.get(statement.sql).all(...statement.params) as ResultRow[];
    if (rows.length > limit) {
      rows.length = limit;
      const cutByServer = query.limit === undefined || query.limit > this.opts.maxResults;
      if (cutByServer) warnings.push(RESULTS_TRUNCATED);
    }
    return { body: rows.map((row) => renderDataset(row, plan, this.dicomWebBase)), warnings };
  }
}
