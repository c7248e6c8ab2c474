/**
 * Rule `uids`: UI values must be dot-separated numbers without leading zeros, at most 64
 * characters (PS3.5 9.1). Padding is already gone (string-padding). A UID is an identity:
 * it is never rewritten (the sender and the archive know the object by it), only reported.
 * A broken Study/Series/SOP Instance/SOP Class UID is an error because FHIR needs it as an id.
 */
import { TAG } from '../mapping/dicom-read.js';
import { finding, mapAttributes } from './edit.js';
import type { Finding, InstanceRule } from './types.js';

const RULE = 'uids';
const IDENTITY_TAGS = new Set<string>([
  TAG.StudyInstanceUID,
  TAG.SeriesInstanceUID,
  TAG.SOPInstanceUID,
  TAG.SOPClassUID,
]);

/** Why the UID is not conformant, or undefined when it is. */
export function uidProblem(uid: string): { problem: string; fatal: boolean } | undefined {
  if (uid.length > 64) return { problem: 'longer than 64 characters', fatal: true };
  if (!/^[0-9.]+$/.test(uid)) return { problem: 'contains characters other than digits and dots', fatal: true };
  const parts = uid.split('.');
  if (parts.some((p) => p === '')) return { problem: 'has an empty component', fatal: true };
  if (parts.some((p) => p.length > 1 && p.startsWith('0')))
    return { problem: 'has a component with leading zeros', fatal: false };
  return undefined;
}

export const uids: InstanceRule = {
  name: RULE,
  apply(json) {
    const findings: Finding[] = [];
    mapAttributes(json, (attr, path) => {
      if (attr.vr !== 'UI') return undefined;
      for (const v of attr.Value ?? []) {
        if (typeof v !== 'string') continue;
        const p = uidProblem(v);
        if (!p) continue;
        const severity = p.fatal && IDENTITY_TAGS.has(path) ? 'error' : 'warning';
        findings.push(
          finding(RULE, severity, path, v, `UID ${p.problem}; kept unchanged because a UID is an identity`),
        );
      }
      return undefined;
    });
    return { json, findings };
  },
};
