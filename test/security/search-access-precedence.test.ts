/**
 * Found while fixing finding 3: the SQLite search joined its conditions with ` AND ` without
 * parentheses, so a condition compiled to an OR (several values of `_lastUpdated`, or the
 * patient compartment of a type with several compartment parameters, such as Observation's
 * subject | performer) split the WHERE clause: `… AND lu > x OR lu < y AND compartment` let a
 * patient token read every patient's Observations (and a scope suffix was bypassed the same
 * way). Each condition is now parenthesized; the search stays within the token's reach.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Json } from '../support/http.js';
import { startSmartBench, type SmartBench } from './harness.js';

describe("a search's OR conditions cannot escape the token's restrictions (--auth smart)", () => {
  let bench: SmartBench;
  let patient: string;

  beforeAll(async () => {
    bench = await startSmartBench();
    [{ patientId: patient }] = await bench.patientsWithImaging(1);
  }, 180_000);
  afterAll(() => bench?.stop());

  const inCompartment = (o: Json) =>
    [o.subject?.reference, ...(o.performer ?? []).map((p: Json) => p.reference)].includes(`Patient/${patient}`);

  it("keeps a patient token's search with a multi-valued _lastUpdated inside its compartment", async () => {
    const token = await bench.token({ scope: 'patient/Observation.rs', patient });
    const own = await bench.get('/fhir/Observation?_count=1000', token);
    expect(own.status).toBe(200);
    const before = bench.auditHead();
    const r = await bench.get('/fhir/Observation?_lastUpdated=gt2000-01-01,lt1900-01-01&_count=1000', token);
    expect(r.status).toBe(200);
    const found = (r.body.entry ?? []).map((e: Json) => e.resource);
    expect(found.filter((o: Json) => !inCompartment(o))).toEqual([]);
    expect(r.body.total).toBe(own.body.total);
    const records = bench.auditSince(before);
    expect(records.length).toBeGreaterThan(0);
    const all = await bench.get('/fhir/Observation?_summary=count', bench.admin);
    expect(all.body.total).toBeGreaterThan(own.body.total);
  });

  it('keeps a scope query suffix in force under a multi-valued _lastUpdated', async () => {
    const token = await bench.token({
      scope: 'system/Observation.rs?category=vital-signs',
      client: 'vitals-board',
      sub: 'vitals-board',
    });
    const r = await bench.get('/fhir/Observation?_lastUpdated=gt2000-01-01,lt1900-01-01&_count=1000', token);
    expect(r.status).toBe(200);
    const categories = (r.body.entry ?? []).map((e: Json) => JSON.stringify(e.resource.category ?? []));
    expect(categories.filter((c: string) => !c.includes('"vital-signs"'))).toEqual([]);
  });
});
