import { aliasOf, type IndexedAttribute } from './indexed-attributes.js';
import { personName, type ResultRow, UNICODE } from './render-dataset.js';
import type { ReturnPlan } from './return-plan.js';
import { resultColumns } from './search-sql.js';

/** A result as DICOM JSON text. */
export type DatasetTextWriter<Row = ResultRow> = (row: Row) => string;

/** Where a row holds a column: its alias (rows as objects) or its position (rows as arrays). */
export type ColumnKey = string | number;

const RETRIEVE_URL = '00081190';

/** How a member's value is written (kept small: one switch in the writer's loop). */
enum Kind {
  /** A constant member (SpecificCharacterSet, InstanceAvailability). */
  Constant,
  String,
  PersonName,
  Number,
  Multi,
  RetrieveUrl,
}

/** One member of a result, `"tag":{…}`, with its opening text with and without the comma before it. */
interface Slot {
  kind: Kind;
  /** Where the row holds the value (Constant, RetrieveUrl: unused). */
  key: ColumnKey;
  /** Absent from the result when empty (TimezoneOffsetFromUTC). */
  optional: boolean;
  /** `"tag":{"vr":"XX"}`: the member without a value; for Constant the whole member. */
  empty: [string, string];
  /** `"tag":{"vr":"XX","Value":`. */
  open: [string, string];
  /** `open` and the start of a string value: `["` (PersonName: `[{"Alphabetic":"`). */
  quoted: [string, string];
}

/**
 * The text renderDataset's object would stringify to (same members, values and order), built
 * straight from the row: no object per result, no sort, values escaped only when they hold a
 * character JSON escapes. For results made of index columns alone — the default return keys of
 * every level; a search that also returns stored JSON (includefield) has no text writer
 * (undefined): render the object (renderDataset) and stringify it. `keyOf` says where the row
 * holds a column given its alias (default: under the alias, rows as objects).
 */
export function datasetTextWriter<Row = ResultRow>(
  plan: ReturnPlan,
  dicomWebBase: string,
  keyOf: (alias: string) => ColumnKey = (alias) => alias,
): DatasetTextWriter<Row> | undefined {
  if (plan.stored.size > 0) return undefined;
  const slots = plan.columns
    .map((a) => ({ tag: a.tag, slot: slotOf(a, keyOf) }))
    .filter((s): s is { tag: string; slot: Slot } => s.slot !== undefined)
    .sort((a, b) => (a.tag < b.tag ? -1 : 1))
    .map((s) => s.slot);
  const uidKeys = [
    keyOf(aliasOf('0020000D')),
    ...(plan.level !== 'study' ? [keyOf(aliasOf('0020000E'))] : []),
    ...(plan.level === 'instance' ? [keyOf(aliasOf('00080018'))] : []),
  ];
  const steps = ['/studies/', '/series/', '/instances/'];
  const urlOf = (row: Record<ColumnKey, unknown>): string => {
    let url = dicomWebBase;
    for (let i = 0; i < uidKeys.length; i++) url += `${steps[i]}${row[uidKeys[i]!]}`;
    return url;
  };
  // Rows as arrays: one test of the row's values together says whether any needs escaping (the
  // usual answer: none) instead of a test per value; the base is part of every RetrieveURL.
  const plainBase = !NEEDS_ESCAPE.test(dicomWebBase);
  return (r) => {
    const row = r as Record<ColumnKey, unknown>;
    let plain = false;
    // A backslash is escaped, except in a multi-valued column where it separates the values.
    let backslash = true;
    if (plainBase && Array.isArray(r)) {
      const all = r.join('');
      plain = !NEEDS_ESCAPE_BUT_BACKSLASH.test(all);
      backslash = all.includes('\\');
    }
    let out = '{';
    let at = 0; // 0 before the first member, 1 after (index into each slot's [first, after] texts)
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]!;
      if (slot.kind === Kind.Constant) {
        out += slot.empty[at]!;
        at = 1;
        continue;
      }
      const v = slot.kind === Kind.RetrieveUrl ? urlOf(row) : row[slot.key];
      if (v === null || v === undefined || v === '') {
        if (slot.optional) continue;
        out += slot.empty[at]!;
      } else if (plain) {
        out += plainText(slot, at, v, backslash);
      } else {
        out += slot.open[at]! + valueText(slot.kind, v);
      }
      at = 1;
    }
    return `${out}}`;
  };
}

/**
 * A member with its present value, the same text as `open + valueText`, for a row none of
 * whose values holds a character JSON escapes other than the backslash (`backslash`: some
 * value holds one).
 */
function plainText(slot: Slot, at: number, v: unknown, backslash: boolean): string {
  switch (slot.kind) {
    case Kind.Number:
      return slot.open[at]! + numberText(v);
    case Kind.Multi:
      return backslash ? `${slot.quoted[at]}${String(v).replaceAll('\\', '","')}"]}` : `${slot.quoted[at]}${v}"]}`;
    case Kind.PersonName: {
      const s = String(v);
      if (s.includes('=') || (backslash && s.includes('\\'))) return slot.open[at]! + valueText(Kind.PersonName, s);
      return `${slot.quoted[at]}${s}"}]}`;
    }
    default: {
      const s = String(v);
      if (backslash && s.includes('\\')) return slot.open[at]! + valueText(slot.kind, s);
      return `${slot.quoted[at]}${s}"]}`;
    }
  }
}

/** A number's `[…]}` as JSON.stringify writes it (not finite: null). */
function numberText(v: unknown): string {
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? `[${n}]}` : '[null]}';
}

/** Characters JSON.stringify escapes (lone surrogates included; a pair is left to it too). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;
/** The same without the backslash, which separates the values of a multi-valued column. */
const NEEDS_ESCAPE_BUT_BACKSLASH = /["\u0000-\u001f\ud800-\udfff]/;

/** A string as its JSON text, as JSON.stringify writes it. */
const jsonString = (s: string): string => (NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`);

/** A present value's `[…]}` (the Value array and the member's closing brace), as putColumn in render-dataset.ts makes it. */
function valueText(kind: Kind, v: unknown): string {
  switch (kind) {
    case Kind.Number:
      return numberText(v);
    case Kind.Multi: {
      const s = String(v);
      if (NEEDS_ESCAPE_BUT_BACKSLASH.test(s)) return `${JSON.stringify(s.split('\\'))}}`;
      return `["${s.replaceAll('\\', '","')}"]}`;
    }
    case Kind.PersonName: {
      const s = String(v);
      // One component group (no `=`), the usual case: { Alphabetic } alone.
      if (s !== '' && !s.includes('=')) return `[{"Alphabetic":${jsonString(s)}}]}`;
      return `[${JSON.stringify(personName(s))}]}`;
    }
    default:
      return `[${jsonString(String(v))}]}`;
  }
}

/** The member's text, and the same after a comma. */
const heads = (text: string): [string, string] => [text, `,${text}`];

function slotOf(a: IndexedAttribute, keyOf: (alias: string) => ColumnKey): Slot | undefined {
  const head = `"${a.tag}":{"vr":${JSON.stringify(a.vr)}`;
  const open = heads(`${head},"Value":`);
  const slot = (kind: Kind, key: ColumnKey = ''): Slot => ({
    kind,
    key,
    optional: a.render === 'optional',
    empty: heads(`${head}}`),
    open,
    quoted: heads(`${head},"Value":${kind === Kind.PersonName ? '[{"Alphabetic":"' : '["'}`),
  });
  if (a.render === 'computed') {
    if (a.tag === RETRIEVE_URL) return slot(Kind.RetrieveUrl);
    const value =
      a.keyword === 'SpecificCharacterSet' ? UNICODE : a.keyword === 'InstanceAvailability' ? 'ONLINE' : undefined;
    if (value === undefined) return undefined;
    return { ...slot(Kind.Constant), empty: heads(`${head},"Value":[${JSON.stringify(value)}]}`) };
  }
  const key = keyOf(aliasOf(a.tag));
  switch (a.render) {
    case 'number':
      return slot(Kind.Number, key);
    case 'multi':
      return slot(Kind.Multi, key);
    case 'pn':
      return slot(Kind.PersonName, key);
    default:
      return slot(Kind.String, key);
  }
}

/**
 * The writer of rows read as arrays, their values in resultColumns order (search-sql.ts): each
 * column read at its position. Undefined as datasetTextWriter's.
 */
export function tupleTextWriter(plan: ReturnPlan, base: string): ((row: unknown[]) => string) | undefined {
  const position = new Map(resultColumns(plan).map((c, i) => [c.alias, i]));
  return datasetTextWriter<unknown[]>(plan, base, (alias) => position.get(alias)!);
}
