/**
 * Rule `integer-strings`: IS/DS values that arrive as text (`" 1"`, `"+7"`, `"1.0E2"`) become
 * numbers as DICOM JSON requires (PS3.18 F.2.3.1); text that is not a number is removed.
 * This is what makes SeriesNumber/InstanceNumber sortable.
 */
import { finding, mapAttributes, mapValues } from './edit.js';
import type { Finding, InstanceRule } from './types.js';

const RULE = 'integer-strings';
const IS = /^[+-]?\d+$/;
const DS = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export const integerStrings: InstanceRule = {
  name: RULE,
  apply(json) {
    const findings: Finding[] = [];
    const out = mapAttributes(json, (attr, path) => {
      if (attr.vr !== 'IS' && attr.vr !== 'DS') return undefined;
      return mapValues(attr, (v) => {
        if (typeof v !== 'string') return v;
        const t = v.trim();
        const ok = (attr.vr === 'IS' ? IS : DS).test(t);
        const n = ok ? Number(t) : NaN;
        if (ok && Number.isFinite(n) && (attr.vr === 'DS' || Number.isSafeInteger(n))) {
          findings.push(finding(RULE, 'info', path, v, `${attr.vr} value was text, not a number`, n));
          return n;
        }
        findings.push(finding(RULE, 'warning', path, v, `${attr.vr} value is not a number; removed`));
        return undefined;
      });
    });
    return { json: out, findings };
  },
};
