import type { ImagingStudy, ServiceRequest } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { type Entry, StudyIndex } from './study-index.js';

const ACSN = { coding: [{ code: 'ACSN' }] };
const entry = (
  id: string,
  patientId: string,
  accession?: { system?: string; value: string },
  orderId?: string,
): Entry => ({
  id,
  uid: `1.2.3.${id}`,
  study: {
    resourceType: 'ImagingStudy',
    status: 'available',
    subject: { reference: `Patient/${patientId}` },
    identifier: accession ? [{ type: ACSN, ...accession }] : [],
  } as ImagingStudy,
  patientId,
  ...(orderId
    ? { order: { request: { resourceType: 'ServiceRequest', id: orderId } as ServiceRequest, via: 'basedOn' } }
    : {}),
  base: { terms: [], overridden: false, routine: true },
  read: false,
});

describe('the worklist study index', () => {
  it('finds the studies of an order by accession (with or without issuer) and by the request itself', () => {
    const index = new StudyIndex();
    index.put(entry('a', 'p1', { system: 'urn:acc', value: 'A1' }));
    index.put(entry('b', 'p2', { value: 'B1' }, 'sr-b'));
    index.put(entry('c', 'p2', { system: 'urn:acc', value: 'C1' }));
    expect(index.studiesOfOrder({ id: 'x', identifiers: ['A1', 'urn:other|A1'] })).toEqual(['a']);
    expect(index.studiesOfOrder({ id: 'x', identifiers: ['urn:acc|C1'] })).toEqual(['c']);
    expect(index.studiesOfOrder({ id: 'sr-b', identifiers: [] })).toEqual(['b']);
    // The same id on the record server is another request.
    expect(index.studiesOfOrder({ id: 'sr-b', identifiers: [], external: true })).toEqual([]);
    expect([...index.ofPatient('p2')].sort()).toEqual(['b', 'c']);
    expect(index.withUid('1.2.3.b')?.id).toBe('b');
  });

  it('drops the keys of the entry it replaces or deletes', () => {
    const index = new StudyIndex();
    index.put(entry('a', 'p1', { value: 'A1' }, 'sr-1'));
    index.put({ ...entry('a', 'p2', { value: 'A2' }), uid: '1.2.3.a2' });
    expect(index.studiesOfOrder({ id: 'sr-1', identifiers: ['A1'] })).toEqual([]);
    expect(index.studiesOfOrder({ id: 'y', identifiers: ['A2'] })).toEqual(['a']);
    expect(index.hasPatient('p1')).toBe(false);
    expect(index.withUid('1.2.3.a')).toBeUndefined();
    expect(index.delete('a')?.patientId).toBe('p2');
    expect(index.studiesOfOrder({ id: 'y', identifiers: ['A2'] })).toEqual([]);
    expect(index.hasPatient('p2')).toBe(false);
    expect(index.size).toBe(0);
  });

  it('keeps every study under an accession they share, as they come and go', () => {
    const index = new StudyIndex();
    const sorted = (ids: string[]) => [...ids].sort();
    index.put(entry('a', 'p1', { value: 'A1' }, 'sr-1'));
    index.put(entry('b', 'p1', { value: 'A1' }, 'sr-1'));
    index.put(entry('c', 'p1', { value: 'A1' }));
    expect(sorted(index.studiesOfOrder({ id: 'x', identifiers: ['A1'] }))).toEqual(['a', 'b', 'c']);
    expect(sorted(index.studiesOfOrder({ id: 'sr-1', identifiers: [] }))).toEqual(['a', 'b']);
    index.put(entry('b', 'p1', { value: 'A1' }, 'sr-1')); // the same study again: listed once
    expect(sorted(index.studiesOfOrder({ id: 'sr-1', identifiers: [] }))).toEqual(['a', 'b']);
    index.delete('a');
    expect(index.studiesOfOrder({ id: 'sr-1', identifiers: [] })).toEqual(['b']);
    expect(sorted(index.studiesOfOrder({ id: 'x', identifiers: ['A1'] }))).toEqual(['b', 'c']);
    index.delete('c');
    index.put(entry('d', 'p2', { value: 'A1' }));
    expect(sorted(index.studiesOfOrder({ id: 'x', identifiers: ['A1'] }))).toEqual(['b', 'd']);
    index.delete('b');
    index.delete('d');
    expect(index.studiesOfOrder({ id: 'sr-1', identifiers: ['A1'] })).toEqual([]);
    index.put(entry('e', 'p2', { value: 'A1' }));
    expect(index.studiesOfOrder({ id: 'sr-1', identifiers: ['A1'] })).toEqual(['e']);
  });
});
