/** Rule `code-string-case`: CS values are upper case by definition (PS3.5 6.2); `m` or `ct` are vendor slips. */
import { finding, mapAttributes, mapValues } from './edit.js';
import type { Finding, InstanceRule } from './types.js';

const RULE = 'code-string-case';

export const codeStringCase: InstanceRule = {
  name: RULE,
  apply(json) {
    const findings: Finding[] = [];
    const out = mapAttributes(json, (attr, path) => {
      if (attr.vr !== 'CS') return undefined;
      const next = mapValues(attr, (v) => (typeof v === 'string' && v !== v.toUpperCase() ? v.toUpperCase() : v));
      if (next) findings.push(finding(RULE, 'info', path, attr.Value, 'CS value was not upper case', next.Value));
      return next;
    });
    return { json: out, findings };
  },
};
