/**
 * Rule `patient-sex`: PatientSex (0010,0040) must be M, F or O. Spelled-out values and the
 * profile's local spellings (e.g. `W` for weiblich) are mapped; anything else is reported and
 * left for the mapping, which writes gender `unknown`.
 */
import { TAG } from '../mapping/dicom-read.js';
import { finding, mapValues, withAttribute } from './edit.js';
import type { Finding, InstanceRule } from './types.js';
import { own } from '../../core/own.js';

const RULE = 'patient-sex';
const VALID = new Set(['M', 'F', 'O']);
const BUILT_IN: Record<string, string> = { MALE: 'M', FEMALE: 'F', OTHER: 'O' };

export const patientSex: InstanceRule = {
  name: RULE,
  apply(json, ctx) {
    const attr = json[TAG.PatientSex];
    if (!attr) return { json, findings: [] };
    const findings: Finding[] = [];
    const next = mapValues(attr, (v) => {
      if (typeof v !== 'string' || VALID.has(v)) return v;
      const key = v.trim().toUpperCase();
      const mapped = own(ctx.profile.sexSynonyms, v) ?? own(ctx.profile.sexSynonyms, key) ?? own(BUILT_IN, key);
      if (mapped && VALID.has(mapped)) {
        findings.push(finding(RULE, 'info', TAG.PatientSex, v, `patient sex mapped to ${mapped}`, mapped));
        return mapped;
      }
      findings.push(
        finding(RULE, 'warning', TAG.PatientSex, v, 'patient sex is not M, F or O; the Patient gets gender unknown'),
      );
      return v;
    });
    return { json: next ? withAttribute(json, TAG.PatientSex, next) : json, findings };
  },
};
