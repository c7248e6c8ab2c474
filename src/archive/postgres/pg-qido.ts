import type pg from 'pg';
import { compileSearchSql } from '../query/compile-search.js';
import { postgresDialect } from '../query/dialect.js';
import type { PreparedSearch, QidoBackend } from '../query/qido-backend.js';
import type { ResultRow } from '../query/render-dataset.js';
import type { ChunkBounds } from '../query/search-sql.js';
import type { SearchPlan } from '../query/search-plan.js';
import type { SqlPart } from '../query/sql-part.js';

const BOUNDS = ['after', 'take', 'skip'] as const;

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
    const { text, params } = numbered(compileSearchSql(search, this.dialect));
    const name = this.statementName(text);
    const values = (bounds: ChunkBounds) => [...params, ...BOUNDS.map((b) => bounds[b])];
    return {
      rows: async (bounds) => (await this.pool.query<ResultRow>({ name, text, values: values(bounds) })).rows,
      // Arrays: pg builds no object per row (a copy of every column name's slot, then each set by name).
      tuples: async (bounds) =>
        (await this.pool.query<unknown[]>({ name, text, values: values(bounds), rowMode: 'array' })).rows,
    };
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
