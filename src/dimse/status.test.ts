import { describe, expect, it } from 'vitest';
import { QueryError } from '../archive/query/index.js';
import { DicomStatus } from '../core/dicom-status.js';
import { DimseError, serviceFailure } from './status.js';

describe('serviceFailure', () => {
  it('answers a key the query engine refuses with 0xC000 and its message as the comment', () => {
    const e = new QueryError('StudyDate', 'StudyDate="2024-01-05": not a DA value');
    expect(serviceFailure(e)).toEqual({
      status: DicomStatus.UnableToProcess,
      comment: 'StudyDate="2024-01-05": not a DA value',
    });
  });

  it('keeps the status of a DimseError, and answers anything else with 0xC000 saying it failed', () => {
    expect(serviceFailure(new DimseError(0xa900, 'identifier does not match SOP class'))).toEqual({
      status: 0xa900,
      comment: 'identifier does not match SOP class',
    });
    expect(serviceFailure(new Error('disk gone'))).toEqual({ status: 0xc000, comment: 'failed: disk gone' });
  });

  it('cuts the comment to the 64 characters of an LO', () => {
    const { comment } = serviceFailure(new QueryError('PatientName', `PatientName="${'x'.repeat(100)}": too long`));
    expect(comment).toHaveLength(64);
    expect(comment?.endsWith('...')).toBe(true);
  });
});
