/**
 * Rule `modality`: Modality (0008,0060) must be a defined term (`MR`, not `MRI`; `PT`, not
 * `PET`). Vendor spellings and retired terms are mapped through the built-in synonyms and the
 * source profile's; a value that stays unknown is kept and reported.
 */
import { TAG } from '../mapping/dicom-read.js';
import modalities from './data/modalities.json' with { type: 'json' };
import { finding, mapValues, withAttribute } from './edit.js';
import type { Finding, InstanceRule } from './types.js';
import { own } from '../../core/own.js';

const RULE = 'modality';
const DEFINED = new Set(modalities.definedTerms);
const BUILT_IN: Record<string, string> = modalities.synonyms;

export function isDefinedModality(code: string): boolean {
  return DEFINED.has(code);
}

export const modality: InstanceRule = {
  name: RULE,
  apply(json, ctx) {
    const attr = json[TAG.Modality];
    if (!attr) return { json, findings: [] };
    const findings: Finding[] = [];
    const next = mapValues(attr, (v) => {
      if (typeof v !== 'string' || DEFINED.has(v)) return v;
      const key = v
        .trim()
        .toUpperCase()
        .replace(/[\s_-]+/g, '');
      const mapped =
        own(ctx.profile.modalitySynonyms, key) ?? own(ctx.profile.modalitySynonyms, v) ?? own(BUILT_IN, key);
      if (mapped) {
        findings.push(
          finding(RULE, 'info', TAG.Modality, v, `non-standard modality mapped to the defined term ${mapped}`, mapped),
        );
        return mapped;
      }
      findings.push(finding(RULE, 'warning', TAG.Modality, v, 'modality is not a DICOM defined term; kept as sent'));
      return v;
    });
    return { json: next ? withAttribute(json, TAG.Modality, next) : json, findings };
  },
};
