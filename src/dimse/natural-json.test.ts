import { describe, expect, it } from 'vitest';
import { naturalToJson } from './natural-json.js';

describe('naturalToJson (identifiers as the library decodes them)', () => {
  it('maps keywords to tags, drops padding, and reads "" and null as empty values', () => {
    const json = naturalToJson({
      _vrMap: {},
      QueryRetrieveLevel: 'STUDY ',
      StudyInstanceUID: '1.2.3\0',
      StudyDate: '20240101-20240131 ',
      PatientID: '',
      NumberOfStudyRelatedInstances: null,
      ModalitiesInStudy: ['CT', 'MR'],
    });
    expect(json).toEqual({
      '00080052': { vr: 'CS', Value: ['STUDY'] },
      '0020000D': { vr: 'UI', Value: ['1.2.3'] },
      '00080020': { vr: 'DA', Value: ['20240101-20240131'] },
      '00100020': { vr: 'LO' },
      '00201208': { vr: 'IS' },
      '00080061': { vr: 'CS', Value: ['CT', 'MR'] },
    });
  });

  it('keeps person name groups, sequences, and drops private tags', () => {
    const json = naturalToJson({
      PatientName: [{ Alphabetic: 'Doe*' }],
      ReferencedStudySequence: [{ _vrMap: {}, ReferencedSOPClassUID: '' }],
      '00090010': 'X',
    });
    expect(json['00100010']).toEqual({ vr: 'PN', Value: [{ Alphabetic: 'Doe*' }] });
    expect(json['00081110']).toEqual({ vr: 'SQ', Value: [{ '00081150': { vr: 'UI' } }] });
    expect(json['00090010']).toBeUndefined();
  });

  it('makes binary numeric keys return keys only (an empty US reads as 0)', () => {
    expect(naturalToJson({ Rows: 0 })).toEqual({ '00280010': { vr: 'US' } });
  });
});
