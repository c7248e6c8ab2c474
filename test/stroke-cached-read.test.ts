/**
 * The stroke check over cached reads (src/context/cached-reader.ts) must answer exactly what a
 * fresh read of the store answers (generatedAt and the sources' durations aside): the whole case
 * table, asked twice, and a record changed between two reads (a lab added, an AI report arriving,
 * a lab deleted), each compared with a service reading the same embedded store without a cache.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STROKE_DEFAULTS, type StrokeAssessment, StrokeService } from '../src/applications/stroke/index.js';
import { buildCase, loadCases } from '../src/clinical/stroke/test-support.js';
import { allowAll, CachedReader, ContextService } from '../src/context/index.js';
import { type FhirClient, type FhirReader, inProcessFhirClient, LocalFhirReader } from '../src/fhir/client/index.js';
import { type EmbeddedFhir, openEmbeddedFhir } from '../src/fhir/embedded.js';
import { writeCase } from './support/stroke-case-writer.js';

const BASE = 'http://ib.test/fhir';
const cases = loadCases().filter(({ c }) => !c.record.failed?.length);

function strokeService(reader: FhirReader, now: () => number): StrokeService {
  const server = { name: 'embedded', client: reader };
  const o = { timeoutMs: 10_000, maxPerSection: 1000 };
  return new StrokeService({
    context: new ContextService({ clinical: server, imaging: server, dicomWebBase: 'x', ...o }),
    clinical: server,
    imaging: server,
    config: STROKE_DEFAULTS,
    now,
    ...o,
  });
}

/** What must not differ between a cached and a fresh answer. */
const comparable = (a: StrokeAssessment) => ({
  ...a,
  generatedAt: undefined,
  sources: a.sources.map(({ durationMs: _, ...s }) => s),
});

describe('the stroke check over cached reads', () => {
  let dir: string;
  let fhir: EmbeddedFhir;
  let client: FhirClient;
  let cached: CachedReader;
  let fresh: LocalFhirReader;
  let n = 0;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ib-stroke-cached-'));
    fhir = openEmbeddedFhir({ dataDir: dir, publicUrl: 'http://ib.test', section: undefined });
    client = inProcessFhirClient(fhir.router, BASE);
    fresh = new LocalFhirReader(fhir.router, BASE);
    cached = new CachedReader(
      fresh,
      (l) => fhir.onWrite(l),
      (t, c) => fhir.registry.get(t, c)?.targets,
      {
        maxEntries: 5000,
      },
    );
  });
  afterAll(() => {
    cached.close();
    fhir.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The same request through the cache (twice) and afresh; all three answers must agree. */
  async function assessBoth(q: { patientId: string; studyUid: string; ref: number; assessedAt: number }) {
    const request = { patient: { id: q.patientId }, studyUid: q.studyUid, at: q.ref };
    const now = () => q.assessedAt;
    const first = await strokeService(cached, now).assess(request, allowAll);
    const hits = cached.counts.hits;
    const second = await strokeService(cached, now).assess(request, allowAll);
    const hitsOnSecond = cached.counts.hits - hits;
    const direct = await strokeService(fresh, now).assess(request, allowAll);
    expect(comparable(first)).toEqual(comparable(direct));
    expect(comparable(second)).toEqual(comparable(direct));
    return { answer: direct, hitsOnSecond };
  }

  const status = (a: StrokeAssessment, id: string) => a.factors.find((f) => f.id === id)!.status;

  it(`answers every case of the table from the cache exactly as from a fresh read (${cases.length} cases)`, async () => {
    for (const { c } of cases) {
      const q = await writeCase(client, c, ++n);
      const { answer, hitsOnSecond } = await assessBoth(q);
      // The second check read nothing afresh: the patient, the study and every section came from the cache.
      expect(hitsOnSecond).toBeGreaterThanOrEqual(9);
      for (const [id, expected] of Object.entries(c.expect))
        expect(`${c.name}: ${id} ${status(answer, id)}`).toBe(`${c.name}: ${id} ${expected}`);
    }
  }, 300_000);

  it('sees a write between two reads: a lab added, an AI report arriving, the lab deleted', async () => {
    const { c } = cases[0]!;
    const q = await writeCase(client, c, ++n);
    const before = (await assessBoth(q)).answer;
    const subject = { reference: `Patient/${q.patientId}` };

    const lab = await client.create({
      resourceType: 'Observation',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '26515-7' }] },
      subject,
      effectiveDateTime: new Date(q.ref + 10 * 60_000).toISOString(),
      valueQuantity: { value: 40, unit: '10*9/L', system: 'http://unitsofmeasure.org', code: '10*9/L' },
    });
    const withLab = await assessBoth(q);
    expect(status(withLab.answer, 'platelets')).toBe('present');
    expect(withLab.hitsOnSecond).toBeGreaterThan(0);

    const report = buildCase(
      { ...c, record: { results: { reports: [{ conclusion: 'No intracranial hemorrhage' }] } } },
      { patientId: q.patientId, study: `ImagingStudy/case${n}-s`, otherStudy: 'ImagingStudy/none', idPrefix: 'late-' },
    ).record.results!.reports[0]!;
    await client.update({ ...report, id: `case${n}-late-report` });
    const withReport = (await assessBoth(q)).answer;
    expect(status(withReport, 'current-hemorrhage')).toBe('absent');

    await fhir.repository.delete('Observation', lab.id!);
    const after = (await assessBoth(q)).answer;
    expect(status(after, 'platelets')).toBe(status(before, 'platelets'));
  }, 120_000);
});
