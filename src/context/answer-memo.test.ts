import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowAll, type AccessPolicy } from '../fhir/access/access-policy.js';
import { type FhirClient, inProcessFhirClient, LocalFhirReader } from '../fhir/client/index.js';
import { type EmbeddedFhir, openEmbeddedFhir } from '../fhir/embedded.js';
import { CachedReader } from './cached-reader.js';
import { parseContextQuery } from './params.js';
import { ContextService } from './service.js';

const BASE = 'http://ib.test/fhir';
const DAY = 86_400_000;
/** The document with every source's duration set to 0 (the one part measured per request). */
const timeless = (json: string) =>
  JSON.stringify({
    ...JSON.parse(json),
    sources: JSON.parse(json).sources.map((s: object) => ({ ...s, durationMs: 0 })),
  });

describe('ContextService.document: the text kept for unchanged reads (answer-memo.ts)', () => {
  let dir: string;
  let fhir: EmbeddedFhir;
  let client: FhirClient;
  let reader: CachedReader;
  let now = Date.parse('2026-06-01T00:00:00Z');
  let kept: ContextService;
  let fresh: ContextService;
  let patient: string;
  let other: string;
  const service = (c: LocalFhirReader | CachedReader, memoEntries?: number) =>
    new ContextService({
      clinical: { name: 'embedded', client: c },
      imaging: { name: 'embedded', client: c },
      dicomWebBase: 'http://ib.test/dicomweb',
      timeoutMs: 5000,
      maxPerSection: 100,
      now: () => now,
      ...(memoEntries === undefined ? {} : { memoEntries }),
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ib-answer-memo-'));
    fhir = openEmbeddedFhir({ dataDir: dir, publicUrl: 'http://ib.test', section: undefined });
    client = inProcessFhirClient(fhir.router, BASE);
    const local = new LocalFhirReader(fhir.router, BASE);
    reader = new CachedReader(
      local,
      (l) => fhir.onWrite(l),
      (t, c) => fhir.registry.get(t, c)?.targets,
      { maxEntries: 1000 },
    );
    kept = service(reader);
    fresh = service(local, 0);
    patient = (await client.create({ resourceType: 'Patient', gender: 'female' })).id!;
    other = (await client.create({ resourceType: 'Patient', gender: 'male' })).id!;
    for (const [p, v] of [
      [patient, 1],
      [other, 2],
    ] as const)
      await client.create({
        resourceType: 'Observation',
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '2345-7' }] },
        subject: { reference: `Patient/${p}` },
        effectiveDateTime: '2026-05-01T00:00:00Z',
        valueQuantity: { value: 90 + v, unit: 'mg/dL' },
      });
    // Completed 2026-04-01: "recent" (90 days) up to 2026-06-30T00:00:00Z, then left out.
    await client.create({
      resourceType: 'MedicationStatement',
      status: 'completed',
      medicationCodeableConcept: { text: 'aspirin' },
      subject: { reference: `Patient/${patient}` },
      effectiveDateTime: '2026-04-01T00:00:00Z',
    });
  });
  afterAll(() => {
    reader.close();
    fhir.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const q = (s = '') => parseContextQuery(new URLSearchParams(`patient=${patient}${s}`));
  /** One document through the memo; checks it against a fresh assembly; returns whether it was kept. */
  async function document(query = q(), policy: AccessPolicy = allowAll) {
    const hits = memoHits();
    const answer = await kept.document(query, policy);
    const expected = await fresh.assemble(query, policy);
    expect(timeless(answer.json)).toBe(timeless(JSON.stringify(expected.context)));
    expect(answer.patientId).toBe(patient);
    return { hit: memoHits() > hits, body: JSON.parse(answer.json) };
  }
  const memoHits = () => (kept as unknown as { memo: { counts: { hits: number } } }).memo.counts.hits;

  it('serves the same text again while nothing it was read from changed; a write about the patient rebuilds it', async () => {
    expect((await document()).hit).toBe(false);
    expect((await document()).hit).toBe(true);
    // Another patient's Condition: the reads of this patient are unchanged. (Any Observation would
    // do, the reports' search includes Observations whoever they are about.)
    await client.create({
      resourceType: 'Condition',
      code: { text: 'other' },
      subject: { reference: `Patient/${other}` },
    });
    expect((await document()).hit).toBe(true);
    await client.create({
      resourceType: 'Condition',
      code: { text: 'new condition' },
      subject: { reference: `Patient/${patient}` },
    });
    const after = await document();
    expect(after.hit).toBe(false);
    expect(after.body.conditions.map((c: { code: { text: string } }) => c.code.text)).toEqual(['new condition']);
    expect((await document()).hit).toBe(true);
  });

  it('keeps one text per request: another include or since is built on its own', async () => {
    await document(q('&include=medications'));
    expect((await document(q('&include=medications'))).hit).toBe(true);
    expect((await document(q('&include=medications,conditions'))).hit).toBe(false);
    expect((await document(q('&since=2026-01-01'))).hit).toBe(false);
  });

  it('is rebuilt once the clock moves a past medication out of the 90-day window', async () => {
    now = Date.parse('2026-04-01T00:00:00Z') + 90 * DAY - 1;
    await document(q('&include=medications'));
    now += 1; // the last instant it is still recent
    const last = await document(q('&include=medications'));
    expect(last.hit).toBe(true);
    expect(last.body.medications).toHaveLength(1);
    now += 1;
    const gone = await document(q('&include=medications'));
    expect(gone.hit).toBe(false);
    expect(gone.body.medications).toEqual([]);
    // With `since` the window does not move with the clock.
    await document(q('&include=medications&since=2026-01-01'));
    now += 365 * DAY;
    expect((await document(q('&include=medications&since=2026-01-01'))).hit).toBe(true);
  });

  it('shares nothing between policies: one without a cache key never reuses a text', async () => {
    const scoped: AccessPolicy = { ...allowAll, description: 'token without a key' };
    await document(q(), scoped);
    expect((await document(q(), scoped)).hit).toBe(false);
    const keyed: AccessPolicy = { ...allowAll, description: 'keyed', cacheKey: 'scope a' };
    await document(q(), keyed);
    expect((await document(q(), keyed)).hit).toBe(true);
  });

  it('keeps nothing over an uncached reader (its answers are new objects each time)', async () => {
    const uncached = service(new LocalFhirReader(fhir.router, BASE));
    await uncached.document(q(), allowAll);
    await uncached.document(q(), allowAll);
    expect((uncached as unknown as { memo: { counts: { hits: number } } }).memo.counts.hits).toBe(0);
  });
});
