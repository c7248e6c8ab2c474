import type { AuditOutcome } from './access-record.js';
import { DicomStatus, isFinalStatus, statusHex as hex } from '../../core/dicom-status.js';

export type OutcomeCode = '0' | '4' | '8' | '12';

const WORDS: Record<'success' | 'minor' | 'serious' | 'major', OutcomeCode> = {
  success: '0',
  minor: '4',
  serious: '8',
  major: '12',
};

/**
 * 0 success, 4 minor failure (refused: 4xx, DICOM refusals), 8 serious failure (5xx, DICOM
 * out of resources / unable to process). DICOM warnings and pending are successes, described.
 */
export function auditOutcome(outcome: AuditOutcome, desc?: string): { outcome: OutcomeCode; outcomeDesc?: string } {
  const described = (code: OutcomeCode, derived?: string) => ({
    outcome: code,
    ...((desc ?? derived) ? { outcomeDesc: desc ?? derived } : {}),
  });
  if (typeof outcome === 'string') return described(WORDS[outcome]);
  if ('httpStatus' in outcome) {
    const s = outcome.httpStatus;
    return described(s < 400 ? '0' : s < 500 ? '4' : '8', s < 400 ? undefined : `HTTP ${s}`);
  }
  const s = outcome.dicomStatus;
  if (s === DicomStatus.Success || !isFinalStatus(s)) return described('0');
  if (s === 0x0001 || s === 0x0107 || s === 0x0116 || (s >= 0xb000 && s <= 0xbfff))
    return described('0', `DICOM warning ${hex(s)}`);
  const serious = s === 0x0110 || (s >= 0xa700 && s <= 0xa7ff) || (s >= 0xc000 && s <= 0xcfff);
  return described(serious ? '8' : '4', `DICOM status ${hex(s)}`);
}
