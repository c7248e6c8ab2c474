import { describe, expect, it } from 'vitest';
import { parseCriteria } from './criteria.js';

describe('Subscription criteria', () => {
  it('parses type and parameters, and refuses what cannot be a Subscription', () => {
    expect(parseCriteria('ImagingStudy?modality=CT&status=available')).toEqual({
      resourceType: 'ImagingStudy',
      params: [
        ['modality', 'CT'],
        ['status', 'available'],
      ],
    });
    expect(parseCriteria('DiagnosticReport')).toEqual({ resourceType: 'DiagnosticReport', params: [] });
    expect(parseCriteria('')).toMatch(/required/);
    expect(parseCriteria('Subscription?status=active')).toMatch(/not supported/);
    expect(parseCriteria('ImagingStudy?_id=1')).toMatch(/_id/);
  });
});
