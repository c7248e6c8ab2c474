/**
 * Rule `string-padding`: leading/trailing spaces and NUL bytes around string values (and
 * around PN components). Free-text VRs keep leading spaces, which are significant there.
 */
import type { DicomJsonAttribute } from '../../dicom/types.js';
import { finding, mapAttributes, mapValues } from './edit.js';
import type { Finding, InstanceRule } from './types.js';

const RULE = 'string-padding';
const TRAILING_ONLY_VRS = new Set(['LT', 'ST', 'UT', 'UR']);
const STRING_VRS = new Set([
  'AE',
  'AS',
  'CS',
  'DA',
  'DS',
  'DT',
  'IS',
  'LO',
  'LT',
  'PN',
  'SH',
  'ST',
  'TM',
  'UC',
  'UI',
  'UR',
  'UT',
]);

// Only space and NUL are DICOM padding; other whitespace (e.g. U+00A0) may be part of the text.
const trimBoth = (s: string): string => s.replace(/^[ \0]+|[ \0]+$/g, '');
const trimEnd = (s: string): string => s.replace(/[ \0]+$/, '');
/** Each component of a PN group, so `DOE ^JOHN ` becomes `DOE^JOHN`. */
const trimPnGroup = (s: string): string => s.split('^').map(trimBoth).join('^').replace(/\^+$/, '');

function trimValue(v: unknown, vr: string): unknown {
  if (typeof v === 'string') {
    const t = vr === 'PN' ? trimPnGroup(v) : TRAILING_ONLY_VRS.has(vr) ? trimEnd(v) : trimBoth(v);
    return t === '' ? null : t;
  }
  if (vr === 'PN' && v && typeof v === 'object') {
    const groups = v as Record<string, unknown>;
    let changed = false;
    const out: Record<string, string> = {};
    for (const [k, g] of Object.entries(groups)) {
      if (typeof g !== 'string') continue;
      const t = trimPnGroup(g);
      if (t !== g) changed = true;
      if (t !== '') out[k] = t;
    }
    return changed ? out : v;
  }
  return v;
}

export const stringPadding: InstanceRule = {
  name: RULE,
  apply(json) {
    const findings: Finding[] = [];
    const out = mapAttributes(json, (attr, path): DicomJsonAttribute | undefined => {
      if (!STRING_VRS.has(attr.vr)) return undefined;
      const next = mapValues(attr, (v) => trimValue(v, attr.vr));
      if (next)
        findings.push(
          finding(
            RULE,
            'info',
            path,
            attr.Value,
            `${attr.vr} value had surrounding spaces or NUL padding`,
            next.Value ?? [],
          ),
        );
      return next;
    });
    return { json: out, findings };
  },
};
