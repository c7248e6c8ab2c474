import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestRouter } from './test-support.js';

describe('FHIR router: search', () => {
  let t: ReturnType<typeof openTestRouter>;
  let patientId: string;
  beforeEach(async () => {
    t = openTestRouter();
    patientId = (
      await t.call('POST', 'Patient', { resourceType: 'Patient', name: [{ family: 'Search' }], gender: 'female' })
    ).body.id;
    for (let i = 0; i < 5; i++) {
      await t.call('POST', 'Observation', {
        resourceType: 'Observation',
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '2345-7' }] },
        subject: { reference: `Patient/${patientId}` },
        valueQuantity: { value: 100 + i, unit: 'mg/dL' },
      });
    }
  });
  afterEach(() => t.close());

  it('returns a searchset with total, fullUrls and self/next/previous links', async () => {
    const first = await t.call('GET', 'Observation?code=http://loinc.org|2345-7&_count=2');
    expect(first.body.type).toBe('searchset');
    expect(first.body.total).toBe(5);
    expect(first.body.entry).toHaveLength(2);
    expect(first.body.entry[0].fullUrl).toBe(`http://ib.test/fhir/Observation/${first.body.entry[0].resource.id}`);
    expect(first.body.entry[0].search.mode).toBe('match');
    const rel = (b: { link: { relation: string; url: string }[] }, r: string) =>
      b.link.find((l) => l.relation === r)?.url;
    expect(rel(first.body, 'previous')).toBeUndefined();
    const next = rel(first.body, 'next')!;
    expect(next).toContain('_offset=2');
    const second = await t.call('GET', next.replace('http://ib.test/fhir/', ''));
    expect(second.body.entry).toHaveLength(2);
    expect(rel(second.body, 'previous')).toContain('_count=2');
    const last = await t.call('GET', 'Observation?code=2345-7&_count=2&_offset=4');
    expect(last.body.entry).toHaveLength(1);
    expect(rel(last.body, 'next')).toBeUndefined();
  });

  it('answers _summary=count with the total only', async () => {
    const res = await t.call('GET', 'Observation?_summary=count');
    expect(res.body.total).toBe(5);
    expect(res.body.entry).toBeUndefined();
  });

  it('trims resources to _elements and marks them SUBSETTED', async () => {
    const res = await t.call('GET', 'Observation?_elements=status,value&_count=1');
    const r = res.body.entry[0].resource;
    expect(Object.keys(r).sort()).toEqual(['id', 'meta', 'resourceType', 'status', 'valueQuantity']);
    expect(r.meta.tag[0].code).toBe('SUBSETTED');
  });

  it('adds _include and _revinclude resources with search.mode include', async () => {
    const inc = await t.call('GET', 'Observation?_include=Observation:subject&_count=3');
    const modes = inc.body.entry.map((e: { search: { mode: string } }) => e.search.mode);
    expect(modes).toEqual(['match', 'match', 'match', 'include']);
    const rev = await t.call('GET', `Patient?_id=${patientId}&_revinclude=Observation:patient`);
    expect(rev.body.total).toBe(1);
    expect(rev.body.entry).toHaveLength(6);
  });

  it('searches by POST _search with a form body', async () => {
    const res = await t.call('POST', 'Observation/_search', 'value-quantity=ge103', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(res.status).toBe(200);
    expect(res.body.total).toBe(2);
  });

  it('sorts by a parameter, descending with -', async () => {
    const res = await t.call('GET', 'Observation?_sort=-value-quantity&_count=2');
    expect(
      res.body.entry.map((e: { resource: { valueQuantity: { value: number } } }) => e.resource.valueQuantity.value),
    ).toEqual([104, 103]);
  });
});
