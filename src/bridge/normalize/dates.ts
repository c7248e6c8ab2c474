/**
 * Rule `dates`: DA values as `2024.01.02`, `2024-01-02`, `2024/01/02` or `02.01.2024` become
 * `20240102`; a value that is no calendar date is removed (kept as an empty attribute) so it
 * cannot reach FHIR. DT values written with separators (`2024-01-02T10:30:00`) are compacted.
 */
import { finding, mapAttributes, mapValues } from './edit.js';
import type { Finding, InstanceRule } from './types.js';

const RULE = 'dates';

export function isCalendarDate(y: number, m: number, d: number): boolean {
  if (y < 1 || m < 1 || m > 12 || d < 1) return false;
  return d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
}

/** `YYYYMMDD` for a recognisable date, undefined otherwise. */
export function canonicalDate(value: string): string | undefined {
  const ymd = /^(\d{4})[.\-/]?(\d{2})[.\-/]?(\d{2})$/.exec(value);
  const dmy = /^(\d{2})\.(\d{2})\.(\d{4})$/.exec(value);
  const [y, m, d] = ymd ? [ymd[1]!, ymd[2]!, ymd[3]!] : dmy ? [dmy[3]!, dmy[2]!, dmy[1]!] : [];
  if (!y || !m || !d || !isCalendarDate(Number(y), Number(m), Number(d))) return undefined;
  return `${y}${m}${d}`;
}

function canonicalDateTime(value: string): string | undefined {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})(?:[T ]?(\d{2}):?(\d{2})?:?(\d{2})?(\.\d{1,6})?)?([+-]\d{2}:?\d{2})?$/.exec(
    value,
  );
  if (!m || !isCalendarDate(Number(m[1]), Number(m[2]), Number(m[3]))) return undefined;
  const time = (m[4] ?? '') + (m[5] ?? '') + (m[6] ?? '') + (m[6] ? (m[7] ?? '') : '');
  return `${m[1]}${m[2]}${m[3]}${time}${(m[8] ?? '').replace(':', '')}`;
}

export const dates: InstanceRule = {
  name: RULE,
  apply(json) {
    const findings: Finding[] = [];
    const out = mapAttributes(json, (attr, path) => {
      if (attr.vr !== 'DA' && attr.vr !== 'DT') return undefined;
      const canonical = attr.vr === 'DA' ? canonicalDate : canonicalDateTime;
      const next = mapValues(attr, (v) => {
        if (typeof v !== 'string') return v;
        const c = canonical(v);
        if (c === v) return v;
        findings.push(
          c === undefined
            ? finding(RULE, 'warning', path, v, `${attr.vr} value is not a valid date; removed`)
            : finding(RULE, 'info', path, v, `${attr.vr} value written in a non-standard form`, c),
        );
        return c;
      });
      return next;
    });
    return { json: out, findings };
  },
};
