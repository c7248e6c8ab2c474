/**
 * Rule `person-names`: PN values that are not in the JSON PN form — a plain string, all three
 * component groups packed into Alphabetic (`Yamada^Tarou=山田^太郎=やまだ^たろう`), or a
 * comma instead of the component separator (`DOE, JOHN` → `DOE^JOHN`). A name left in one
 * component with spaces (`JOHN DOE`) cannot be split safely: reported, not changed.
 */
import { finding, mapAttributes, mapValues } from './edit.js';
import type { Finding, InstanceRule } from './types.js';

const RULE = 'person-names';
const GROUPS = ['Alphabetic', 'Ideographic', 'Phonetic'] as const;
type Groups = Partial<Record<(typeof GROUPS)[number], string>>;

function splitGroups(text: string): Groups {
  const out: Groups = {};
  text
    .split('=')
    .slice(0, 3)
    .forEach((g, i) => {
      if (g !== '') out[GROUPS[i]!] = g;
    });
  return out;
}

/** `DOE, JOHN` → `DOE^JOHN`: only when there is no `^` and exactly one comma. */
function commaToCaret(group: string): string {
  if (group.includes('^')) return group;
  const parts = group.split(',');
  return parts.length === 2 ? parts.map((p) => p.trim()).join('^') : group;
}

export const personNames: InstanceRule = {
  name: RULE,
  apply(json) {
    const findings: Finding[] = [];
    const out = mapAttributes(json, (attr, path) => {
      if (attr.vr !== 'PN') return undefined;
      return mapValues(attr, (v) => {
        if (v === null) return v;
        const reasons: string[] = [];
        let groups: Groups;
        if (typeof v === 'string') {
          groups = splitGroups(v);
          reasons.push('PN was a plain string, not component groups');
        } else if (typeof v === 'object') {
          groups = { ...(v as Groups) };
          if (groups.Alphabetic?.includes('=') && !groups.Ideographic && !groups.Phonetic) {
            groups = splitGroups(groups.Alphabetic);
            reasons.push('ideographic/phonetic groups were packed into the Alphabetic group');
          }
        } else return v;
        const alpha = groups.Alphabetic;
        if (alpha !== undefined) {
          const fixed = commaToCaret(alpha);
          if (fixed !== alpha) {
            groups.Alphabetic = fixed;
            reasons.push('a comma was used instead of ^ between family and given name');
          } else if (!alpha.includes('^') && /\S\s+\S/.test(alpha)) {
            findings.push(
              finding(
                RULE,
                'warning',
                path,
                v,
                'PN has a single component containing spaces; family and given name cannot be told apart',
              ),
            );
          }
        }
        if (!reasons.length) return v;
        findings.push(finding(RULE, 'info', path, v, reasons.join('; '), groups));
        return groups;
      });
    });
    return { json: out, findings };
  },
};
