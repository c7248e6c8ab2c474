/**
 * Rule `patient-id`: PatientID (0010,0020) with leading zeros (kept by default — `007` and `7`
 * may be different MRNs — or stripped when the profile says the source pads), with spaces
 * inside, and a missing IssuerOfPatientID (the source's default system will be used).
 */
import { items, str, TAG } from '../mapping/dicom-read.js';
import { finding, withAttribute } from './edit.js';
import type { Finding, InstanceRule } from './types.js';

const RULE = 'patient-id';

export const patientId: InstanceRule = {
  name: RULE,
  apply(json, ctx) {
    const id = str(json, TAG.PatientID);
    if (id === undefined) return { json, findings: [] };
    const findings: Finding[] = [];
    let out = json;
    if (/\s/.test(id)) findings.push(finding(RULE, 'warning', TAG.PatientID, id, 'PatientID contains spaces'));
    if (/^0+\d/.test(id)) {
      if (ctx.profile.patientIdLeadingZeros === 'strip') {
        const stripped = id.replace(/^0+(?=\d)/, '');
        out = withAttribute(json, TAG.PatientID, { ...json[TAG.PatientID]!, Value: [stripped] });
        findings.push(
          finding(RULE, 'info', TAG.PatientID, id, 'leading zeros stripped as the source profile asks', stripped),
        );
      } else {
        findings.push(finding(RULE, 'info', TAG.PatientID, id, 'PatientID has leading zeros; kept as sent'));
      }
    }
    const qualifiers = items(json, TAG.IssuerOfPatientIDQualifiersSequence);
    const hasIssuer =
      str(json, TAG.IssuerOfPatientID) !== undefined ||
      qualifiers.some((q) => str(q, TAG.UniversalEntityID) !== undefined);
    if (!hasIssuer) {
      findings.push(
        finding(
          RULE,
          'info',
          TAG.IssuerOfPatientID,
          null,
          "IssuerOfPatientID missing; the source's default identifier system applies",
        ),
      );
    }
    return { json: out, findings };
  },
};
