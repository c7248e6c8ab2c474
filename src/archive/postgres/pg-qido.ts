import type pg from 'pg';
import { compilePackedSearchSql, compileSearchSql } from '../query/compile-search.js';
import { postgresDialect } from '../query/dialect.js';
import type { PreparedSearch, QidoBackend } from '../query/qido-backend.js';
import type { ResultRow } from '../query/render-dataset.js';
import { type ChunkBounds, resultColumns } from '../query/search-sql.js';
import type { SearchPlan } from '../query/search-plan.js';
import type { SqlPart } from '../query/sql-part.js';

const BOUNDS = ['after', 'take', 'skip'] as const;

/** Between the values of a packed row (ASCII unit separator). */
const SEPARATOR = '\x1f';

/** The result values as one text, NULL as '' (the text writer writes both as empty). */
const pack = (columns: string[]): string =>
  `concat_ws(chr(31), ${columns.map((c) => `coalesce(CAST(${c} AS text), '')`).join(', ')})`;

/** A chunk's query as pg takes it. */
interface Chunk {
  name?: string;
  text: string;
  values: unknown[];
}

/**
 * QIDO-RS on the PostgreSQL archive index (PgIndex): the shared plan compiled with the
 * PostgreSQL dialect, each chunk one query on the pool. Statements are named by their text,
 * so each connection parses a query shape once.
 */
export class PgQidoBackend implements QidoBackend {
  private readonly dialect;
  private readonly names = new Map<string, string>();

  constructor(
    private readonly pool: pg.Pool,
    schema: string,
  ) {
    this.dialect = postgresDialect(schema);
  }

  prepare(search: SearchPlan): PreparedSearch {
    // Results of index columns alone are read packed (below): the columns' statement is then
    // compiled only if asked for (the server cap's look past it, chunks as objects).
    let columns: ((bounds: ChunkBounds) => Chunk) | undefined;
    const statement = (bounds: ChunkBounds) =>
      (columns ??= this.statement(compileSearchSql(search, this.dialect)))(bounds);
    const rows = async (bounds: ChunkBounds) => (await this.pool.query<ResultRow>(statement(bounds))).rows;
    if (search.plan.stored.size > 0) {
      // Results read from stored JSON: rows as objects (the text answer takes arrays only of index columns).
      statement({ after: 0, take: 0, skip: 0 }); // compiled now: a key it cannot match is a QueryError here
      return { rows };
    }
    // Arrays: pg builds no object per row (a copy of every column name's slot, then each set by name).
    const arrays = async (bounds: ChunkBounds) =>
      (await this.pool.query<unknown[]>({ ...statement(bounds), rowMode: 'array' })).rows;
    // Results of index columns alone: the values packed into one field per row (one string for
    // pg to decode instead of one per column; PostgreSQL's CPU the same), split here.
    const packed = this.statement(compilePackedSearchSql(search, this.dialect, pack));
    const width = resultColumns(search.plan).length - 1;
    const tuples = async (bounds: ChunkBounds): Promise<unknown[][]> => {
      const got = (await this.pool.query<[string, string]>({ ...packed(bounds), rowMode: 'array' })).rows;
      const out: unknown[][] = new Array(got.length);
      for (let i = 0; i < got.length; i++) {
        const values: unknown[] = got[i]![0].split(SEPARATOR);
        // A value holding the separator itself (never in valid DICOM text): the chunk read again as columns.
        if (values.length !== width) return arrays(bounds);
        values.push(got[i]![1]);
        out[i] = values;
      }
      return out;
    };
    return { rows, tuples };
  }

  /** A compiled statement's query for a chunk: named by its text, its values then the chunk bounds. */
  private statement(part: SqlPart): (bounds: ChunkBounds) => Chunk {
    const { text, params } = numbered(part);
    const name = this.statementName(text);
    return (bounds) => ({ name, text, values: [...params, ...BOUNDS.map((b) => bounds[b])] });
  }

  /** Rendered here, not by PostgreSQL: see TextSqlDialect (query/dialect.ts). */
  prepareText(): undefined {
    return undefined;
  }

  /** Query shapes are bounded; past the cap new shapes run unnamed (parsed each time). */
  private statementName(text: string): string | undefined {
    let name = this.names.get(text);
    if (name === undefined && this.names.size < 256) {
      name = `qido_${this.names.size}`;
      this.names.set(text, name);
    }
    return name;
  }
}

/** `?` → `$1…$n` in order, then the chunk bounds `@after`, `@take`, `@skip` → `$n+1…$n+3`. */
export function numbered(part: SqlPart): { text: string; params: unknown[] } {
  let n = 0;
  const n0 = part.params.length;
  const text = part.sql
    .replace(/\?/g, () => `$${++n}`)
    .replace(/@(after|take|skip)\b/g, (_, b: keyof ChunkBounds) => `$${n0 + 1 + BOUNDS.indexOf(b)}::bigint`);
  if (n !== n0) throw new Error(`compiled QIDO SQL has ${n} placeholders for ${n0} values`);
  return { text, params: part.params };
}
