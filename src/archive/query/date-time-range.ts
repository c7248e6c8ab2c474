import { QueryError } from './query-error.js';

/** A parsed DA/TM/DT key: one value, or a range with either end open (PS3.4 C.2.2.2.5). */
export type DateTimeKey = { exact: string } | { from?: string; to?: string };

export const isRange = (key: DateTimeKey): key is { from?: string; to?: string } => !('exact' in key);

const DA = /^\d{8}$/;
const TM = /^\d{2}(?::?\d{2}(?::?\d{2}(?:\.\d{1,6})?)?)?$/;
const DT = /^\d{4}(?:\d{2}(?:\d{2}(?:\d{2}(?:\d{2}(?:\d{2}(?:\.\d{1,6})?)?)?)?)?)?(?:[+-]\d{4})?$/;

const FORMATS = { DA, TM, DT } as const;
const SHAPES = { DA: 'YYYYMMDD', TM: 'HH[MM[SS[.FFFFFF]]]', DT: 'YYYY[MM[DD[HH[MM[SS[.FFFFFF]]]]]][&ZZXX]' };

/** Parse `a`, `a-b`, `a-` or `-b`; a malformed value or a reversed range is a 400. */
export function parseDateTimeKey(name: string, vr: 'DA' | 'TM' | 'DT', raw: string): DateTimeKey {
  const value = raw.trim();
  const fail = (why: string) =>
    new QueryError(name, `${name}="${raw}": ${why}; expected ${SHAPES[vr]}, or a range a-b, a- or -b`);
  const check = (v: string) => {
    if (!FORMATS[vr].test(v)) throw fail(`"${v}" is not a valid ${vr} value`);
    return v;
  };
  // A DT offset may start with '-', so split on the '-' that separates two values.
  const dash = rangeDash(value, vr);
  if (dash < 0) return { exact: check(value) };
  const from = value.slice(0, dash).trim();
  const to = value.slice(dash + 1).trim();
  if (!from && !to) throw fail('a range needs at least one end');
  const key = { ...(from ? { from: check(from) } : {}), ...(to ? { to: check(to) } : {}) };
  if (key.from && key.to) {
    const lower = vr === 'TM' ? timeLowerBound(key.from) : key.from;
    const upper = vr === 'TM' ? timeLowerBound(key.to) : key.to;
    if (lower > upper)
      throw fail(
        vr === 'TM' ? 'the range is reversed (ranges crossing midnight are not supported)' : 'the range is reversed',
      );
  }
  return key;
}

function rangeDash(value: string, vr: string): number {
  if (vr !== 'DT') return value.indexOf('-');
  // In DT a '-' after 4+ digits may be a UTC offset: the range dash is the one followed by a digit-run that starts a DT or by nothing.
  const m = /^(\d{4,}(?:\.\d{1,6})?(?:[+-]\d{4})?)?-(.*)$/.exec(value);
  return m ? (m[1] ?? '').length : -1;
}

/** TM → `HHMMSS.FFFFFF`, missing parts zero: the earliest moment the value can mean. */
export function timeLowerBound(tm: string): string {
  const t = tm.replace(/:/g, '');
  const [hms = '', frac = ''] = t.split('.');
  return `${hms.padEnd(6, '0')}.${frac.padEnd(6, '0')}`;
}

/** TM → `HHMMSS.FFFFFF`, missing parts at their maximum: `1800` means up to 18:00:59.999999. */
export function timeUpperBound(tm: string): string {
  const t = tm.replace(/:/g, '');
  const [hms = '', frac] = t.split('.');
  const filled = hms + '5959'.slice(hms.length - 2);
  return `${filled}.${(frac ?? '').padEnd(6, '9')}`;
}
