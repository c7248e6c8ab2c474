/**
 * IHE IOCM rejection notes: a Key Object Selection document whose title (ConceptNameCodeSequence)
 * is one of the DCM rejection codes. Its CurrentRequestedProcedureEvidenceSequence lists the
 * instances it rejects; the archive hides them (and the note) from QIDO, WADO and C-FIND.
 */
import type { DicomJson } from '../dicom/types.js';

export const KEY_OBJECT_SELECTION = '1.2.840.10008.5.1.4.1.1.88.59';

/** CID 7011 "Rejected for Quality Reasons" family (DCM). */
export const REJECTION_CODES: Readonly<Record<string, string>> = {
  '113001': 'Rejected for Quality Reasons',
  '113037': 'Rejected for Patient Safety Reasons',
  '113038': 'Incorrect Modality Worklist Entry',
  '113039': 'Data Retention Policy Expired',
};

export interface RejectedRef {
  studyUid: string;
  seriesUid: string;
  sopUid: string;
}

export interface RejectionNote {
  code: string;
  meaning: string;
  refs: RejectedRef[];
}

const T = {
  ConceptNameCodeSequence: '0040A043',
  CodeValue: '00080100',
  CodingSchemeDesignator: '00080102',
  Evidence: '0040A375',
  StudyInstanceUID: '0020000D',
  ReferencedSeriesSequence: '00081115',
  SeriesInstanceUID: '0020000E',
  ReferencedSOPSequence: '00081199',
  ReferencedSOPInstanceUID: '00081155',
} as const;

const items = (json: DicomJson | undefined, tag: string): DicomJson[] => (json?.[tag]?.Value ?? []) as DicomJson[];
const first = (json: DicomJson | undefined, tag: string): string | undefined => {
  const v = json?.[tag]?.Value?.[0];
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
};

/** The rejection this instance announces, or undefined for any other object. */
export function rejectionNote(sopClassUid: string, json: DicomJson): RejectionNote | undefined {
  if (sopClassUid !== KEY_OBJECT_SELECTION) return undefined;
  const title = items(json, T.ConceptNameCodeSequence)[0];
  const code = first(title, T.CodeValue);
  if (!code || first(title, T.CodingSchemeDesignator) !== 'DCM' || !Object.hasOwn(REJECTION_CODES, code))
    return undefined;
  const refs: RejectedRef[] = [];
  for (const study of items(json, T.Evidence)) {
    const studyUid = first(study, T.StudyInstanceUID);
    for (const series of items(study, T.ReferencedSeriesSequence)) {
      const seriesUid = first(series, T.SeriesInstanceUID);
      for (const sop of items(series, T.ReferencedSOPSequence)) {
        const sopUid = first(sop, T.ReferencedSOPInstanceUID);
        if (studyUid && seriesUid && sopUid) refs.push({ studyUid, seriesUid, sopUid });
      }
    }
  }
  return { code, meaning: REJECTION_CODES[code]!, refs };
}
