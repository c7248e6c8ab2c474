import { aliasOf, type IndexedAttribute } from './indexed-attributes.js';
import { personName, type ResultRow, retrieveUrl, UNICODE } from './render-dataset.js';
import type { ReturnPlan } from './return-plan.js';

/** A result as DICOM JSON text. */
export type DatasetTextWriter = (row: ResultRow) => string;

const RETRIEVE_URL = '00081190';

/**
 * One member of a result, `"tag":{…}`, with a comma before it unless `first`; '' when the
 * result leaves it out. Built by concatenating constants and the row's own strings (cheaper
 * than an array of pieces joined).
 */
type Member = (row: ResultRow, first: boolean) => string;

/**
 * The text renderDataset's object would stringify to (same members, values and order), built
 * straight from the row: no object per result, no sort, values escaped one by one. For
 * results made of index columns alone — the default return keys of every level; a search
 * that also returns stored JSON (includefield) has no text writer (undefined): render the
 * object (renderDataset) and stringify it.
 */
export function datasetTextWriter(plan: ReturnPlan, dicomWebBase: string): DatasetTextWriter | undefined {
  if (plan.stored.size > 0) return undefined;
  const members: { tag: string; member: Member }[] = plan.columns
    .filter((a) => a.tag !== RETRIEVE_URL)
    .map((a) => ({ tag: a.tag, member: memberOf(a) }));
  const url = stringMember(RETRIEVE_URL, 'UR');
  members.push({ tag: RETRIEVE_URL, member: (row, first) => url(retrieveUrl(row, plan, dicomWebBase), first) });
  members.sort((a, b) => (a.tag < b.tag ? -1 : 1));
  const ordered = members.map((m) => m.member);
  return (row) => {
    let out = '{';
    let first = true;
    for (const member of ordered) {
      const text = member(row, first);
      if (text !== '') {
        out += text;
        first = false;
      }
    }
    return `${out}}`;
  };
}

/** The member's opening text, and the same after a comma. */
const heads = (text: string): [string, string] => [text, `,${text}`];

/** Characters JSON.stringify escapes (lone surrogates included; a pair is left to it too). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** A one-string member: a plain value is pushed as it is between constant quotes, others via JSON.stringify. */
function stringMember(tag: string, vr: string): (value: string, first: boolean) => string {
  const [plain, plainAfter] = heads(`"${tag}":{"vr":${JSON.stringify(vr)},"Value":["`);
  const [escaped, escapedAfter] = heads(`"${tag}":{"vr":${JSON.stringify(vr)},"Value":[`);
  return (value, first) =>
    NEEDS_ESCAPE.test(value)
      ? `${first ? escaped : escapedAfter}${JSON.stringify(value)}]}`
      : `${first ? plain : plainAfter}${value}"]}`;
}

function memberOf(a: IndexedAttribute): Member {
  const head = `"${a.tag}":{"vr":${JSON.stringify(a.vr)}`;
  if (a.render === 'computed') {
    const value =
      a.keyword === 'SpecificCharacterSet' ? UNICODE : a.keyword === 'InstanceAvailability' ? 'ONLINE' : undefined;
    if (value === undefined) return () => '';
    const [text, textAfter] = heads(`${head},"Value":[${JSON.stringify(value)}]}`);
    return (_row, first) => (first ? text : textAfter);
  }
  const alias = aliasOf(a.tag);
  const [empty, emptyAfter] = heads(`${head}}`);
  const optional = a.render === 'optional';
  const present = presentMember(a, head);
  return (row, first) => {
    const v = row[alias];
    if (v === null || v === undefined || v === '') return optional ? '' : first ? empty : emptyAfter;
    return present(v, first);
  };
}

/** A member with a value, as putColumn in render-dataset.ts makes it. */
function presentMember(a: IndexedAttribute, head: string): (v: unknown, first: boolean) => string {
  const [open, openAfter] = heads(`${head},"Value":`);
  const json = (text: (v: unknown) => string) => (v: unknown, first: boolean) =>
    `${first ? open : openAfter}${text(v)}}`;
  switch (a.render) {
    case 'number':
      return json((v) => `[${JSON.stringify(Number(v))}]`);
    case 'multi':
      return json((v) => JSON.stringify(String(v).split('\\')));
    case 'pn':
      return json((v) => `[${JSON.stringify(personName(String(v)))}]`);
    default: {
      const member = stringMember(a.tag, a.vr);
      return (v, first) => member(String(v), first);
    }
  }
}
