import type pg from 'pg';
import type { SearchParamRegistry } from '../definitions/search-params.js';
import { indexRows } from '../search/index-values.js';
import type { FhirResource } from '../types.js';
import { INDEX_TABLES } from './schema.js';

type Queryable = Pick<pg.ClientBase, 'query'>;

/** Columns of each index table after (resource_pk, param), with their array types for unnest(). */
const COLUMNS = {
  sp_token: ['system text', 'code text'],
  sp_string: ['norm text', 'exact text'],
  sp_date: ['low bigint', 'high bigint'],
  sp_reference: ['target_type text', 'target_id text', 'url text'],
  sp_number: ['value float8', 'system text', 'code text', 'unit text'],
  sp_uri: ['value text'],
} as const;

/**
 * Keeps the sp_* tables equal to the search values of each resource's current version: its
 * steps join the statement that writes the resource row (resource-store.ts), so a write is one
 * statement (deleting the old rows and inserting the new ones through unnest()).
 */
export class PgIndexWriter {
  private constructor(
    private readonly s: string,
    private readonly registry: SearchParamRegistry,
    private readonly baseUrl: string,
    private readonly ids: Map<string, number>,
  ) {}

  /**
   * Every parameter the registry knows gets its id at start-up (inserted once, shared by every
   * instance), so that ids never come from a transaction that may roll back.
   */
  static async open(db: Queryable, schema: string, registry: SearchParamRegistry, baseUrl: string) {
    const types: string[] = [];
    const codes: string[] = [];
    for (const type of registry.resourceTypes)
      for (const def of registry.forType(type)) {
        types.push(type);
        codes.push(def.code);
      }
    await db.query(
      `INSERT INTO ${schema}.params(type, code) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING`,
      [types, codes],
    );
    const { rows } = await db.query<{ id: number; type: string; code: string }>(
      `SELECT id, type, code FROM ${schema}.params`,
    );
    const ids = new Map(rows.map((r) => [`${r.type}.${r.code}`, r.id]));
    return new PgIndexWriter(`${schema}.`, registry, baseUrl, ids);
  }

  /** The numeric id of a (type, code) pair; undefined for a parameter the registry does not know. */
  paramId(resourceType: string, code: string): number | undefined {
    return this.ids.get(`${resourceType}.${code}`);
  }

  /** Must run inside the caller's write transaction. */
  async write(db: Queryable, pk: number, resource: FhirResource, replacing: boolean): Promise<void> {
    const args: unknown[] = [pk];
    const steps = [
      ...(replacing ? this.clearSteps('$1::bigint') : []),
      ...this.insertSteps(resource, args, { pk: '$1::bigint' }),
    ];
    if (steps.length === 0) return;
    await db.query(`WITH ${steps.map((step, i) => `s${i} AS (${step})`).join(', ')} SELECT 1`, args);
  }

  /**
   * The statements (for a WITH) inserting the index rows of `resource` for the resource row whose
   * pk is the SQL expression `row.pk` (over `row.from`, when given: no row there, nothing inserted);
   * their arrays are pushed onto `args`. With clearSteps in the same statement, the deletes and
   * inserts see the same snapshot: the new rows are not deleted.
   */
  insertSteps(resource: FhirResource, args: unknown[], row: { pk: string; from?: string }): string[] {
    const columns = emptyColumns(1);
    this.eachValue(resource, (table, param, ...values) => {
      const cols = columns.get(table)!;
      cols[0].push(param);
      values.forEach((v, i) => cols[i + 1].push(v));
    });
    return this.unnestSteps(
      columns,
      ['integer'],
      args,
      (t, names, arrays) =>
        `INSERT INTO ${this.s}${t}(resource_pk, ${names.join(', ')}) SELECT ${row.pk}, u.* FROM ${row.from ? `${row.from}, ` : ''}unnest(${arrays}) AS u`,
    );
  }

  /**
   * The statements (for a WITH) inserting the index rows of several resources at once: resource
   * `n` (1-based, in the order given) gets the pk of the row of `rows` (a WITH item with columns
   * `pk` and `n`) whose n is its — none when that row is absent (not inserted). One statement per
   * index table for all of them; the arrays are pushed onto `args`.
   */
  insertStepsMany(resources: readonly FhirResource[], args: unknown[], rows: string): string[] {
    const columns = emptyColumns(2);
    resources.forEach((resource, k) =>
      this.eachValue(resource, (table, param, ...values) => {
        const cols = columns.get(table)!;
        cols[0].push(k + 1);
        cols[1].push(param);
        values.forEach((v, i) => cols[i + 2].push(v));
      }),
    );
    return this.unnestSteps(
      columns,
      ['bigint', 'integer'],
      args,
      (t, names, arrays) =>
        `INSERT INTO ${this.s}${t}(resource_pk, ${names.join(', ')}) SELECT w.pk, ${names.map((c) => `u.${c}`).join(', ')}
         FROM unnest(${arrays}) AS u(n, ${names.join(', ')}) JOIN ${rows} w ON w.n = u.n`,
    );
  }

  /**
   * One INSERT per index table that has rows: the columns (the `lead` ones, typed as given, then
   * the table's own) pushed onto `args` as arrays; `insert` writes the statement from the table,
   * its column names (param and the table's) and the `$n::type[]` list.
   */
  private unnestSteps(
    columns: Map<string, unknown[][]>,
    lead: string[],
    args: unknown[],
    insert: (table: string, names: string[], arrays: string) => string,
  ): string[] {
    const steps: string[] = [];
    for (const t of INDEX_TABLES) {
      const cols = columns.get(t)!;
      if (cols[0]!.length === 0) continue;
      const names = ['param', ...COLUMNS[t].map((c) => c.split(' ')[0]!)];
      const arrays = [...lead, ...COLUMNS[t].map((c) => c.split(' ')[1])].map((type, i) => {
        args.push(cols[i]);
        return `$${args.length}::${type}[]`;
      });
      steps.push(insert(t, names, arrays.join(', ')));
    }
    return steps;
  }

  /** Each search value of the resource, as (index table, param id, its columns' values). */
  private eachValue(resource: FhirResource, add: (table: string, param: number, ...values: unknown[]) => void): void {
    for (const { param, value: v } of indexRows(this.registry.forType(resource.resourceType), resource, this.baseUrl)) {
      const id = this.paramId(resource.resourceType, param);
      if (id === undefined) continue;
      switch (v.kind) {
        case 'token':
          add('sp_token', id, v.system, v.code);
          break;
        case 'string':
          add('sp_string', id, v.norm, v.exact);
          break;
        case 'date':
          add('sp_date', id, v.low, v.high);
          break;
        case 'reference':
          add('sp_reference', id, v.targetType, v.targetId, v.url);
          break;
        case 'quantity':
        case 'number':
          add('sp_number', id, v.value, v.system, v.code, v.unit);
          break;
        case 'uri':
          add('sp_uri', id, v.value);
          break;
      }
    }
  }

  /** The statements (for a WITH) deleting every index row of the resource row whose pk is the SQL expression `pk`. */
  clearSteps(pk: string): string[] {
    return INDEX_TABLES.map((t) => `DELETE FROM ${this.s}${t} WHERE resource_pk = ${pk}`);
  }
}

/** Per index table, `lead` empty column arrays and one per column of the table. */
function emptyColumns(lead: number): Map<string, unknown[][]> {
  return new Map(INDEX_TABLES.map((t) => [t, Array.from({ length: lead + COLUMNS[t].length }, () => [])]));
}
