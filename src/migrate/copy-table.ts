import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type pg from 'pg';
import { hasTable } from './source.js';
import { inTransaction } from '../core/postgres/store-connection.js';
import { progressOf, setProgress } from './target.js';

/** One SQLite table copied into its PostgreSQL twin (the same columns; those only one side has are left out). */
export interface TableSpec {
  /** The source database and table. */
  db: Database.Database;
  from: string;
  /** `schema.table` in the target. */
  to: string;
  /** An SQL condition on the source rows: those not matching are neither copied nor compared. */
  where?: string;
  /** Columns left out of the content hash (rewritten on the way, e.g. blob keys when the bytes move). */
  unhashed?: readonly string[];
}

interface Column {
  name: string;
  type: string;
  identity: boolean;
}

export interface TableCount {
  table: string;
  source: number;
  target: number;
  sourceHash: string;
  targetHash: string;
}

/**
 * Copies the rows of `spec.from` in rowid order, `batch` rows per transaction; each transaction
 * also moves the step's progress mark, so a killed run resumes after the last committed batch
 * and never copies a row twice. Row keys (`pk`) are kept: the references between tables hold.
 */
export async function copyTable(pool: pg.Pool, spec: TableSpec, batch: number): Promise<number> {
  const step = `table:${spec.to}`;
  if (!hasTable(spec.db, spec.from)) return 0;
  const columns = await sharedColumns(pool, spec);
  if ((await progressOf(pool, step)).done) return 0;
  const names = columns.map((c) => c.name);
  const read = spec.db.prepare(
    `SELECT rowid AS "__rowid", ${names.map(quote).join(', ')} FROM ${quote(spec.from)} WHERE rowid > ?${spec.where ? ` AND (${spec.where})` : ''} ORDER BY rowid LIMIT ?`,
  );
  const identity = columns.some((c) => c.identity) ? ' OVERRIDING SYSTEM VALUE' : '';
  let copied = 0;
  for (;;) {
    const copiedNow = await inTransaction(pool, async (db) => {
      const { upto } = await progressOf(db, step);
      const rows = read.all(upto, batch) as Record<string, unknown>[];
      if (rows.length === 0) return 0;
      const values: unknown[] = [];
      const tuples = rows.map((row) => {
        const slots = columns.map((c) => {
          values.push(toPg(row[c.name], c.type));
          return `$${values.length}`;
        });
        return `(${slots.join(', ')})`;
      });
      await db.query(
        `INSERT INTO ${spec.to} (${names.map(quote).join(', ')})${identity} VALUES ${tuples.join(', ')}`,
        values,
      );
      await setProgress(db, step, { upto: Number(rows.at(-1)!.__rowid) });
      return rows.length;
    });
    if (copiedNow === 0) break;
    copied += copiedNow;
  }
  if (identity) {
    const idColumn = columns.find((c) => c.identity)!.name;
    await pool.query(
      `SELECT setval(pg_get_serial_sequence($1, $2), GREATEST((SELECT max(${quote(idColumn)}) FROM ${spec.to}), 1))`,
      [spec.to, idColumn],
    );
  }
  const { upto } = await progressOf(pool, step);
  await setProgress(pool, step, { upto, done: true });
  return copied;
}

/**
 * Row counts and an order-independent content hash of both sides (the sum of each row's
 * SHA-256, over the shared columns less `unhashed`, values normalised: booleans as 0/1).
 */
export async function compareTable(pool: pg.Pool, spec: TableSpec): Promise<TableCount | undefined> {
  if (!hasTable(spec.db, spec.from)) return undefined;
  const columns = (await sharedColumns(pool, spec)).filter((c) => !spec.unhashed?.includes(c.name));
  const list = columns.map((c) => quote(c.name)).join(', ');
  // jsonb keeps the JSON value, not its text (keys reordered, spacing dropped): both sides compared as canonical JSON.
  const json = columns.map((c) => c.type === 'jsonb');
  const canonical = (row: unknown[], fromText: boolean) =>
    json.some(Boolean)
      ? row.map((v, i) =>
          json[i] && v !== null ? canonicalJson(fromText && typeof v === 'string' ? JSON.parse(v) : v) : v,
        )
      : row;
  const source = new RowSum();
  for (const row of spec.db
    .prepare(`SELECT ${list} FROM ${quote(spec.from)}${spec.where ? ` WHERE ${spec.where}` : ''}`)
    .raw()
    .iterate())
    source.add(canonical(row as unknown[], true));
  const target = new RowSum();
  // Keyset pages over the physical row id: the table may be larger than memory.
  let after = '(0,0)';
  for (;;) {
    const { rows } = await pool.query({
      text: `SELECT ctid::text AS "__ctid", ${list} FROM ${spec.to} WHERE ctid > $1::tid ORDER BY ctid LIMIT 2000`,
      values: [after],
      rowMode: 'array',
    });
    if (rows.length === 0) break;
    for (const r of rows as unknown[][]) target.add(canonical(r.slice(1), false));
    after = String((rows.at(-1) as unknown[])[0]);
  }
  return {
    table: spec.to,
    source: source.count,
    target: target.count,
    sourceHash: source.digest(),
    targetHash: target.digest(),
  };
}

class RowSum {
  count = 0;
  private sum = 0n;
  add(values: unknown[]): void {
    const text = JSON.stringify(values.map(normalised));
    this.sum = (this.sum + BigInt(`0x${createHash('sha256').update(text).digest('hex')}`)) % 2n ** 256n;
    this.count++;
  }
  digest(): string {
    return this.sum.toString(16).padStart(64, '0');
  }
}

/** JSON text with object keys sorted at every level: one text per JSON value. */
function canonicalJson(v: unknown): string {
  const sorted = (x: unknown): unknown =>
    Array.isArray(x)
      ? x.map(sorted)
      : x !== null && typeof x === 'object'
        ? Object.fromEntries(
            Object.entries(x as Record<string, unknown>)
              .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
              .map(([k, y]) => [k, sorted(y)]),
          )
        : x;
  return JSON.stringify(sorted(v));
}

function normalised(v: unknown): unknown {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') return Number(v);
  if (Buffer.isBuffer(v)) return v.toString('hex');
  return v;
}

function toPg(v: unknown, type: string): unknown {
  if (v === null || v === undefined) return null;
  if (type === 'boolean') return v !== 0 && v !== 0n && v !== '0';
  return v;
}

async function sharedColumns(pool: pg.Pool, spec: TableSpec): Promise<Column[]> {
  const [schema, table] = spec.to.split('.') as [string, string];
  const { rows } = await pool.query<{ name: string; type: string; identity: string }>(
    `SELECT column_name AS name, data_type AS type, is_identity AS identity FROM information_schema.columns
     WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
    [schema, table],
  );
  if (rows.length === 0) throw new Error(`migrate: the target has no table ${spec.to}`);
  const present = new Set(
    (spec.db.prepare(`PRAGMA table_info(${quote(spec.from)})`).all() as { name: string }[]).map((c) => c.name),
  );
  return rows
    .filter((r) => present.has(r.name))
    .map((r) => ({ name: r.name, type: r.type, identity: r.identity === 'YES' }));
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
