/**
 * Study rule `duplicate-instances`: the same SOPInstanceUID more than once. Identical copies
 * are folded into one; copies with different content are a conflict — the last one (the most
 * recently received, as the caller passes instances in arrival order) is kept and reported.
 */
import type { DicomJson } from '../../dicom/types.js';
import { deepEqual } from '../mapping/deep-equal.js';
import { str, TAG } from '../mapping/dicom-read.js';
import { finding } from './edit.js';
import type { Finding, StudyRule } from './types.js';

const RULE = 'duplicate-instances';

export const duplicateInstances: StudyRule = {
  name: RULE,
  apply(instances) {
    const findings: Finding[] = [];
    const byUid = new Map<string, DicomJson>();
    const order: (string | DicomJson)[] = [];
    for (const json of instances) {
      const uid = str(json, TAG.SOPInstanceUID);
      if (uid === undefined) {
        order.push(json);
        continue;
      }
      const seen = byUid.get(uid);
      if (!seen) order.push(uid);
      else if (deepEqual(seen, json))
        findings.push({
          ...finding(RULE, 'info', TAG.SOPInstanceUID, uid, 'the same instance was received twice; one copy kept'),
          sopInstanceUid: uid,
        });
      else
        findings.push({
          ...finding(
            RULE,
            'warning',
            TAG.SOPInstanceUID,
            uid,
            'the same SOPInstanceUID was received with different content; the last copy is kept',
          ),
          sopInstanceUid: uid,
        });
      byUid.set(uid, json);
    }
    return { instances: order.map((o) => (typeof o === 'string' ? byUid.get(o)! : o)), findings };
  },
};
