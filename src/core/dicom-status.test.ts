import { describe, expect, it } from 'vitest';
import { DicomStatus, isFailureStatus, isFinalStatus } from './dicom-status.js';

describe('DICOM status classes', () => {
  it('tells pending responses from final ones', () => {
    expect([DicomStatus.Pending, DicomStatus.PendingWarning].map(isFinalStatus)).toEqual([false, false]);
    expect([DicomStatus.Success, DicomStatus.Cancel, DicomStatus.UnableToProcess].map(isFinalStatus)).toEqual([
      true,
      true,
      true,
    ]);
  });

  it('counts as failures what is neither success, warning (0xBxxx) nor pending or cancel (0xFxxx)', () => {
    const failures = [DicomStatus.OutOfResources, DicomStatus.UnableToProcess, DicomStatus.SopClassNotSupported];
    expect(failures.map(isFailureStatus)).toEqual([true, true, true]);
    const others = [DicomStatus.Success, DicomStatus.ElementsDiscarded, DicomStatus.Pending, DicomStatus.Cancel];
    expect(others.map(isFailureStatus)).toEqual([false, false, false, false]);
  });
});
