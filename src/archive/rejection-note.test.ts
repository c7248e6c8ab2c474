import { describe, expect, it } from 'vitest';
import { rejectionNote as buildNote } from '../dicom/test-support.js';
import { parseInstance, bufferSource } from '../dicom/index.js';
import { KEY_OBJECT_SELECTION, rejectionNote } from './rejection-note.js';

describe('IOCM rejection note detection', () => {
  const note = (code: string) => {
    const bytes = buildNote({
      study: '1.2.3',
      series: '1.2.3.9',
      sop: '1.2.3.9.1',
      code,
      rejected: [
        { series: '1.2.3.4', sop: '1.2.3.4.1' },
        { series: '1.2.3.4', sop: '1.2.3.4.2' },
      ],
    });
    return parseInstance(bufferSource(bytes), { bulkDataThreshold: 1024 }).json;
  };

  it('reads the rejected instances of a Key Object Selection titled 113001 or 113039', () => {
    expect(rejectionNote(KEY_OBJECT_SELECTION, note('113001'))).toEqual({
      code: '113001',
      meaning: 'Rejected for Quality Reasons',
      refs: [
        { studyUid: '1.2.3', seriesUid: '1.2.3.4', sopUid: '1.2.3.4.1' },
        { studyUid: '1.2.3', seriesUid: '1.2.3.4', sopUid: '1.2.3.4.2' },
      ],
    });
    expect(rejectionNote(KEY_OBJECT_SELECTION, note('113039'))?.meaning).toBe('Data Retention Policy Expired');
  });

  it('ignores a Key Object Selection with another title, and other SOP classes', () => {
    expect(rejectionNote(KEY_OBJECT_SELECTION, note('113000'))).toBeUndefined();
    expect(rejectionNote('1.2.840.10008.5.1.4.1.1.2', note('113001'))).toBeUndefined();
  });
});
