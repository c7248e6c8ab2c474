/**
 * A File Meta (or, for C-STORE, the command's Affected SOP Class/Instance UID) that disagrees
 * with the data set. The data set is what the instance is — the File Meta is a wrapper that a
 * de-identification tool or an export may have left stale — so the object is stored under the
 * data set's UIDs, answered with a warning instead of a failure, kept with a note (a
 * data-quality finding, rule `file-meta`) and served with a File Meta regenerated from the
 * data set (dicom/served-file-meta.ts); the received bytes stay as they came.
 */
import { DicomStatus } from '../core/dicom-status.js';
import { jsonString, type ParsedInstance } from '../dicom/index.js';
import type { IngestNote, StoreWarning } from './types.js';

export const FILE_META_RULE = 'file-meta';

/** Where the announced UIDs came from, for the messages. */
export type Announcer = 'file-meta' | 'command';

const NAMES: Record<Announcer, { instance: string; class: string }> = {
  'file-meta': { instance: 'MediaStorageSOPInstanceUID (0002,0003)', class: 'MediaStorageSOPClassUID (0002,0002)' },
  command: {
    instance: 'Affected SOP Instance UID of the C-STORE-RQ',
    class: 'Affected SOP Class UID of the C-STORE-RQ',
  },
};

/** The disagreements between the announced and the data set's UIDs (none when it has no File Meta). */
export function fileMetaNotes(parsed: ParsedInstance, announcer: Announcer = 'file-meta'): IngestNote[] {
  const notes: IngestNote[] = [];
  const names = NAMES[announcer];
  const metaClass = jsonString(parsed.fileMeta, '00020002');
  if (metaClass && metaClass !== parsed.sopClassUid)
    notes.push({
      rule: FILE_META_RULE,
      tag: '00020002',
      original: metaClass,
      corrected: parsed.sopClassUid,
      message: `${names.class} ${metaClass} differs from the data set's SOPClassUID ${parsed.sopClassUid}: stored and served as the data set's class`,
    });
  const metaSop = jsonString(parsed.fileMeta, '00020003');
  if (metaSop && metaSop !== parsed.sopInstanceUid)
    notes.push({
      rule: FILE_META_RULE,
      tag: '00020003',
      original: metaSop,
      corrected: parsed.sopInstanceUid,
      message: `${names.instance} ${metaSop} differs from the data set's SOPInstanceUID ${parsed.sopInstanceUid}: stored and served under the data set's UID`,
    });
  return notes;
}

/**
 * The warning answered for notes. A class that differs is 0xB007 "Data Set does not match SOP
 * Class" (PS3.4 Table B.2-1; PS3.18 Annex I.2.1 "stored the instance despite the Data Set not
 * matching the constraints of the SOP Class"); an instance UID that differs is 0xB000
 * "Coercion of Data Elements": what is served carries the data set's UID in (0002,0003), not
 * the received one. Both: 0xB007, the more serious one (one Warning Reason per instance).
 */
export function warningOf(notes: IngestNote[]): StoreWarning | undefined {
  if (notes.length === 0) return undefined;
  const classDiffers = notes.some((n) => n.tag === '00020002');
  return {
    status: classDiffers ? DicomStatus.DataSetDoesNotMatchSopClassWarning : DicomStatus.CoercionOfDataElements,
    message: notes.map((n) => n.message).join('; '),
  };
}
