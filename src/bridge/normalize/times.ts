/**
 * Rule `times`: TM values with `:` separators (ACR-NEMA style), `,` as decimal mark or more
 * than six fraction digits become `HHMMSS.FFFFFF`; an out-of-range time (hour 24+, minute
 * 60+, second 61+) is removed so no invented time reaches FHIR.
 */
import { finding, mapAttributes, mapValues } from './edit.js';
import type { Finding, InstanceRule } from './types.js';

const RULE = 'times';

/** Canonical TM, the same string when already canonical, undefined when not a time. */
export function canonicalTime(value: string): string | undefined {
  const m = /^(\d{2})(?::?(\d{2})(?::?(\d{2})(?:[.,](\d+))?)?)?$/.exec(value);
  if (!m) return undefined;
  const [hh, mm, ss, frac] = [m[1]!, m[2], m[3], m[4]];
  if (Number(hh) > 23 || Number(mm ?? 0) > 59 || Number(ss ?? 0) > 60) return undefined;
  return hh + (mm ?? '') + (ss ?? '') + (frac ? `.${frac.slice(0, 6)}` : '');
}

export const times: InstanceRule = {
  name: RULE,
  apply(json) {
    const findings: Finding[] = [];
    const out = mapAttributes(json, (attr, path) => {
      if (attr.vr !== 'TM') return undefined;
      return mapValues(attr, (v) => {
        if (typeof v !== 'string') return v;
        const c = canonicalTime(v);
        if (c === v) return v;
        findings.push(
          c === undefined
            ? finding(RULE, 'warning', path, v, 'TM value is not a valid time; removed')
            : finding(RULE, 'info', path, v, 'TM value written in a non-standard form', c),
        );
        return c;
      });
    });
    return { json: out, findings };
  },
};
