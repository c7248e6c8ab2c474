/**
 * A bulk loader for the SCALE fixture on PostgreSQL: the rows PgIndex.commit would write for a
 * stream of new instances ({ replaces: null }, no ingest notes, no rejection notes) into an
 * empty `archive` schema — patients, studies, series, instances, with the same derived columns
 * (archive-index-rows.ts of the server's build), the same aggregates (num_series,
 * num_instances, modalities) and the same primary keys — but set-based: per batch of whole
 * studies one statement of `INSERT … SELECT FROM unnest(…)` per table, sent on one connection
 * while the next batch is generated. Nothing is queued on the bridge outbox (the SCALE loader
 * emptied it after PgIndex.commit anyway).
 *
 * The primary keys are the ones PgIndex.commit gives on a fresh schema: studies, series and
 * instances numbered in order of first appearance; a patient takes the key of the study that
 * first named it (each study insert of PgIndex.commit draws one value of the patients
 * sequence, inserted or not). The identity sequences are advanced past them at the end.
 */
import type pg from 'pg';
import type { IndexedWrite } from '../src/archive/archive-index.js';
import type { InstanceRecord } from '../src/archive/types.js';

/** The row builders of archive-index-rows.ts (of the build whose server reads the rows). */
export interface RowBuilders {
  patientKey: typeof import('../src/archive/archive-index-rows.js').patientKey;
  studyRow: typeof import('../src/archive/archive-index-rows.js').studyRow;
  seriesRow: typeof import('../src/archive/archive-index-rows.js').seriesRow;
  instanceRow: typeof import('../src/archive/archive-index-rows.js').instanceRow;
  /** rejection-note.ts: a record that is one cannot be bulk-loaded (it hides other instances). */
  rejectionNote: typeof import('../src/archive/rejection-note.js').rejectionNote;
}

export interface BulkLoadOptions {
  /** Instances per batch (rounded up to whole studies); default 10,000. */
  batch?: number;
  /** Called after each batch is committed with the instances loaded so far. */
  progress?: (instances: number) => void;
}

export interface BulkLoadResult {
  patients: number;
  studies: number;
  series: number;
  instances: number;
}

const TABLES = ['patients', 'studies', 'series', 'instances'] as const;
type Table = (typeof TABLES)[number];
type Keys = Record<Table, number>;

interface StudyGroup {
  pk: number;
  first: InstanceRecord;
  series: Map<string, SeriesGroup>;
  instances: number;
}
interface SeriesGroup {
  pk: number;
  first: InstanceRecord;
  records: InstanceRecord[];
}

/** UTF-8 byte order, as ORDER BY on a COLLATE "C" column. */
const bytewise = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/**
 * Loads `writes` into `schema` (already migrated, e.g. by PgIndex.open, and empty). Each study's
 * instances must come together (one run in the stream), as the SCALE generator yields them.
 */
export async function bulkLoadIndex(
  pool: pg.Pool,
  schema: string,
  writes: Iterable<IndexedWrite>,
  rows: RowBuilders,
  opts: BulkLoadOptions = {},
): Promise<BulkLoadResult> {
  const batchSize = opts.batch ?? 10_000;
  const t = `${schema}.`;
  const client = await pool.connect();
  let pending: Promise<unknown> | undefined;
  try {
    // The loader's own session: its commits need not wait for the WAL flush (the load is redone if lost).
    await client.query('SET synchronous_commit = off');
    const sequences = new Map<Table, string>();
    for (const table of TABLES) {
      const { rows: found } = await client.query<{ seq: string; n: string }>(
        `SELECT pg_get_serial_sequence($1, 'pk') AS seq, (SELECT count(*) FROM ${t}${table}) AS n`,
        [`${t}${table}`],
      );
      if (Number(found[0]!.n) !== 0) throw new Error(`bulk load: ${t}${table} is not empty`);
      sequences.set(table, found[0]!.seq);
    }
    const start = async (table: Table): Promise<number> => {
      const { rows: r } = await client.query<{ v: string }>(
        `SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS v FROM ${sequences.get(table)}`,
      );
      return Number(r[0]!.v);
    };
    // The last key given in each table (the sequence's current value).
    const keys: Keys = {
      patients: await start('patients'),
      studies: await start('studies'),
      series: await start('series'),
      instances: await start('instances'),
    };
    const patientPks = new Map<string, number>();
    const doneStudies = new Set<string>();
    const seriesSeen = new Set<string>();
    const total: BulkLoadResult = { patients: 0, studies: 0, series: 0, instances: 0 };

    let groups: StudyGroup[] = [];
    let current: StudyGroup | undefined;
    let inBatch = 0;

    const send = async (batch: StudyGroup[]): Promise<void> => {
      const sql = batchSql(t, batch, rows, patientPks, keys, Date.now());
      // One batch in flight: the next is built while PostgreSQL inserts this one.
      await pending;
      const count = batch.reduce((n, g) => n + g.instances, 0);
      pending = client.query(sql.text, sql.values).then(() => {
        total.studies += batch.length;
        total.series += batch.reduce((n, g) => n + g.series.size, 0);
        total.instances += count;
        total.patients = patientPks.size;
        opts.progress?.(total.instances);
      });
      // Unhandled until awaited: mark it handled, the next await rethrows.
      pending.catch(() => undefined);
    };

    for (const w of writes) {
      const r = w.record;
      if (w.replaces !== null)
        throw new Error(`bulk load: ${r.sopUid} replaces a stored instance (new instances only)`);
      if (r.notes?.length) throw new Error(`bulk load: ${r.sopUid} has ingest notes (not bulk-loaded)`);
      if (rows.rejectionNote(r.sopClassUid, r.json))
        throw new Error(`bulk load: ${r.sopUid} is a rejection note (not bulk-loaded)`);
      if (current?.first.studyUid !== r.studyUid) {
        if (current) {
          doneStudies.add(current.first.studyUid);
          if (inBatch >= batchSize) {
            await send(groups);
            groups = [];
            inBatch = 0;
          }
        }
        if (doneStudies.has(r.studyUid))
          throw new Error(
            `bulk load: study ${r.studyUid} comes back after other studies (give each study's instances together)`,
          );
        current = { pk: ++keys.studies, first: r, series: new Map(), instances: 0 };
        groups.push(current);
      }
      let series = current.series.get(r.seriesUid);
      if (!series) {
        if (seriesSeen.has(r.seriesUid)) throw new Error(`bulk load: series ${r.seriesUid} is in two studies`);
        seriesSeen.add(r.seriesUid);
        series = { pk: ++keys.series, first: r, records: [] };
        current.series.set(r.seriesUid, series);
      }
      series.records.push(r);
      current.instances++;
      inBatch++;
    }
    if (groups.length) await send(groups);
    await pending;
    pending = undefined;
    // Past the keys given, as if PgIndex.commit had drawn them.
    for (const table of TABLES)
      if (keys[table] > 0) await client.query('SELECT setval($1::regclass, $2)', [sequences.get(table), keys[table]]);
    return total;
  } finally {
    await pending?.catch(() => undefined);
    // Back to the pool as it came (a failed RESET: the connection is dropped, not reused).
    const reset = await client.query('RESET synchronous_commit').then(
      () => undefined,
      (e: Error) => e,
    );
    client.release(reset);
  }
}

type Kind = 'text' | 'int' | 'bigint';
type Value = string | number | null;

/**
 * A table's columns filled a row at a time, sent as one parameter per column. pg's own array
 * encoding spends ~160 µs per 2 KB metadata string (escaping); text columns go instead as one
 * string of U+0002-separated values (JSON.stringify escapes every control character, so stored
 * JSON never holds one; any other value that does is refused), split by string_to_array.
 */
class Columns {
  private readonly values: Value[][];
  private readonly kinds: Kind[];
  private readonly names: string[];

  constructor(
    private readonly table: string,
    spec: readonly (readonly [string, Kind])[],
    /** Columns with one value for all rows (`version`, `created_at`…): name, SQL literal type, value. */
    private readonly constants: readonly (readonly [string, Kind, number])[] = [],
  ) {
    this.names = spec.map(([n]) => n);
    this.kinds = spec.map(([, k]) => k);
    this.values = spec.map(() => []);
  }

  push(...row: Value[]): void {
    if (row.length !== this.values.length)
      throw new Error(`bulk load: ${row.length} values for ${this.values.length} columns of ${this.table}`);
    for (let c = 0; c < row.length; c++) this.values[c]!.push(row[c]!);
  }

  /** `INSERT … SELECT FROM unnest(…)` with parameters from $`first`; appends its values to `params`. */
  insert(t: string, params: Value[]): string {
    const args = this.kinds.map((kind, c) => {
      params.push(encode(kind, this.values[c]!, this.table, this.names[c]!));
      const n = params.length;
      return kind === 'text' ? `(string_to_array($${n}, chr(2)))[2:]` : `$${n}::${kind}[]`;
    });
    const constants = this.constants.map(([, kind, value]) => {
      params.push(value);
      return `$${params.length}::${kind}`;
    });
    const names = [...this.names, ...this.constants.map(([n]) => n)];
    return `INSERT INTO ${t}${this.table}(${names.join(', ')}) OVERRIDING SYSTEM VALUE
      SELECT u.*${constants.map((c) => `, ${c}`).join('')} FROM unnest(${args.join(', ')}) u`;
  }
}

const SEP = '\u0002';

function encode(kind: Kind, values: Value[], table: string, column: string): string {
  if (kind !== 'text') return `{${values.map((v) => (v === null ? 'NULL' : String(v))).join(',')}}`;
  for (const v of values)
    if (typeof v !== 'string' || v.includes(SEP))
      throw new Error(`bulk load: ${table}.${column} value ${JSON.stringify(v)} is not a text without U+0002`);
  // A leading separator: [2:] drops the empty first element, so a lone '' survives the split
  // (and no rows is '': string_to_array gives an empty array).
  return values.length === 0 ? '' : SEP + values.join(SEP);
}

const PATIENT_COLUMNS = [
  ['pk', 'bigint'],
  ['patient_id', 'text'],
  ['issuer', 'text'],
] as const;
const STUDY_COLUMNS = [
  ['pk', 'bigint'],
  ['study_uid', 'text'],
  ['patient_pk', 'bigint'],
  ['patient_id', 'text'],
  ['patient_name', 'text'],
  ['patient_name_norm', 'text'],
  ['patient_name_alt_norm', 'text'],
  ['patient_birth_date', 'text'],
  ['patient_sex', 'text'],
  ['study_date', 'text'],
  ['study_time', 'text'],
  ['study_time_raw', 'text'],
  ['accession', 'text'],
  ['study_id', 'text'],
  ['referring_norm', 'text'],
  ['referring_name', 'text'],
  ['timezone_offset', 'text'],
  ['description', 'text'],
  ['modalities', 'text'],
  ['num_series', 'int'],
  ['num_instances', 'int'],
  ['json', 'text'],
] as const;
const SERIES_COLUMNS = [
  ['pk', 'bigint'],
  ['series_uid', 'text'],
  ['study_pk', 'bigint'],
  ['modality', 'text'],
  ['series_number', 'int'],
  ['description', 'text'],
  ['pps_start_date', 'text'],
  ['pps_start_time', 'text'],
  ['pps_start_time_raw', 'text'],
  ['num_instances', 'int'],
  ['json', 'text'],
] as const;
const INSTANCE_COLUMNS = [
  ['pk', 'bigint'],
  ['sop_uid', 'text'],
  ['series_pk', 'bigint'],
  ['sop_class_uid', 'text'],
  ['instance_number', 'int'],
  ['rows', 'int'],
  ['columns', 'int'],
  ['bits_allocated', 'int'],
  ['number_of_frames', 'int'],
  ['transfer_syntax_uid', 'text'],
  ['blob_key', 'text'],
  ['size', 'bigint'],
  ['dataset_offset', 'bigint'],
  ['source', 'text'],
  ['metadata', 'text'],
] as const;

/**
 * One statement for a batch of whole studies (their keys assigned here): the four INSERTs as
 * data-modifying CTEs (foreign keys are checked at the end of the statement).
 */
function batchSql(
  t: string,
  batch: StudyGroup[],
  rows: RowBuilders,
  patientPks: Map<string, number>,
  keys: Keys,
  now: number,
): { text: string; values: Value[] } {
  const patients = new Columns('patients', PATIENT_COLUMNS);
  const studies = new Columns('studies', STUDY_COLUMNS, [['updated_at', 'bigint', now]]);
  const series = new Columns('series', SERIES_COLUMNS);
  const instances = new Columns('instances', INSTANCE_COLUMNS, [
    ['version', 'int', 1],
    ['created_at', 'bigint', now],
  ]);
  for (const g of batch) {
    // PgIndex.commit draws one patients key per study inserted (ON CONFLICT draws too).
    const patientDraw = ++keys.patients;
    const { patientId, issuer } = rows.patientKey(g.first);
    const key = `${patientId}\u0000${issuer}`;
    let patientPk = patientPks.get(key);
    if (patientPk === undefined) {
      patientPk = patientDraw;
      patientPks.set(key, patientPk);
      patients.push(patientPk, patientId, issuer);
    }
    const s = rows.studyRow(g.first);
    const modalities = new Set<string>();
    for (const sg of g.series.values()) {
      const row = rows.seriesRow(sg.first);
      if (row.modality !== '') modalities.add(row.modality);
      series.push(
        sg.pk,
        row.seriesUid,
        g.pk,
        row.modality,
        row.seriesNumber,
        row.description,
        row.ppsDate,
        row.ppsTime,
        row.ppsTimeRaw,
        sg.records.length,
        row.json,
      );
      for (const r of sg.records) {
        const i = rows.instanceRow(r);
        instances.push(
          ++keys.instances,
          i.sopUid,
          sg.pk,
          i.sopClassUid,
          i.instanceNumber,
          i.rows,
          i.columns,
          i.bitsAllocated,
          i.numberOfFrames,
          i.transferSyntaxUid,
          i.blobKey,
          i.size,
          i.datasetOffset,
          i.source,
          i.metadata,
        );
      }
    }
    studies.push(
      g.pk,
      s.studyUid,
      patientPk,
      s.patientId,
      s.patientName,
      s.patientNameNorm,
      s.patientNameAltNorm,
      s.birthDate,
      s.sex,
      s.studyDate,
      s.studyTime,
      s.studyTimeRaw,
      s.accession,
      s.studyId,
      s.referringNorm,
      s.referringName,
      s.timezoneOffset,
      s.description,
      [...modalities].sort(bytewise).join('\\'),
      g.series.size,
      g.instances,
      s.json,
    );
  }
  const values: Value[] = [];
  const text = `WITH p AS (${patients.insert(t, values)}),
    st AS (${studies.insert(t, values)}),
    se AS (${series.insert(t, values)})
    ${instances.insert(t, values)}`;
  return { text, values };
}
