import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FhirClient, inProcessFhirClient, LocalFhirReader } from '../fhir/client/index.js';
import { type EmbeddedFhir, openEmbeddedFhir } from '../fhir/embedded.js';
import type { Bundle } from '../fhir/types.js';
import { CachedReader } from './cached-reader.js';

const BASE = 'http://ib.test/fhir';
const ids = (b: Bundle) => (b.entry ?? []).map((e) => `${e.resource?.resourceType}/${e.resource?.id}`).sort();

describe('CachedReader over the embedded store', () => {
  let dir: string;
  let fhir: EmbeddedFhir;
  let client: FhirClient;
  let fresh: LocalFhirReader;
  let reader: CachedReader;
  let patient: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ib-cached-reader-'));
    fhir = openEmbeddedFhir({ dataDir: dir, publicUrl: 'http://ib.test', section: undefined });
    client = inProcessFhirClient(fhir.router, BASE);
    fresh = new LocalFhirReader(fhir.router, BASE);
    reader = new CachedReader(
      fresh,
      (l) => fhir.onWrite(l),
      (t, c) => fhir.registry.get(t, c)?.targets,
    );
    patient = (await client.create({ resourceType: 'Patient', gender: 'female' })).id!;
  });
  afterAll(() => {
    reader.close();
    fhir.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const observation = () =>
    client.create({
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'x' },
      subject: { reference: `Patient/${patient}` },
    });

  /** Reads twice through the cache; returns whether the second was a hit, and checks it against a fresh read. */
  async function twice(type: string, params: [string, string][]) {
    await reader.search(type, params);
    const hits = reader.counts.hits;
    const second = await reader.search(type, params);
    expect(ids(second)).toEqual(ids(await fresh.search(type, params)));
    return reader.counts.hits > hits;
  }

  it('answers a repeated search from the cache until a write of its type, then afresh', async () => {
    const q: [string, string][] = [['patient', patient]];
    await observation();
    expect(await twice('Observation', q)).toBe(true);
    await client.create({ resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' } });
    expect(await twice('Observation', q)).toBe(true); // another type: still valid
    await observation();
    const after = await reader.search('Observation', q);
    expect(ids(after)).toEqual(ids(await fresh.search('Observation', q)));
    expect(after.entry).toHaveLength(2);
  });

  it('tells each lookup to a diagnostics subscriber (miss, then hit)', async () => {
    const seen: boolean[] = [];
    const listener = (m: unknown) => seen.push((m as { hit: boolean }).hit);
    subscribe('imagingbridge:cached-reader', listener);
    try {
      await twice('Procedure', [['patient', patient]]);
    } finally {
      unsubscribe('imagingbridge:cached-reader', listener);
    }
    expect(seen).toEqual([false, true]);
  });

  it('makes an _include depend on the included type', async () => {
    const med = await client.create({ resourceType: 'Medication', code: { text: 'apixaban' } });
    await client.create({
      resourceType: 'MedicationRequest',
      status: 'active',
      intent: 'order',
      subject: { reference: `Patient/${patient}` },
      medicationReference: { reference: `Medication/${med.id}` },
    });
    const q: [string, string][] = [
      ['patient', patient],
      ['_include', 'MedicationRequest:medication'],
    ];
    expect(await twice('MedicationRequest', q)).toBe(true);
    await client.update({ ...med, code: { text: 'rivaroxaban' } });
    const b = await reader.search('MedicationRequest', q);
    const included = b.entry?.find((e) => e.resource?.resourceType === 'Medication')?.resource as {
      code?: { text?: string };
    };
    expect(included.code?.text).toBe('rivaroxaban');
  });

  it('leaves a stale entry when a write commits while its read is in flight', async () => {
    const q: [string, string][] = [
      ['patient', patient],
      ['_count', '100'],
    ];
    const inFlight = reader.search('Observation', q);
    await observation();
    await inFlight;
    const next = await reader.search('Observation', q);
    expect(ids(next)).toEqual(ids(await fresh.search('Observation', q)));
  });

  it('never caches AuditEvent (written by another connection)', async () => {
    expect(await twice('AuditEvent', [['_count', '1']])).toBe(false);
    expect(await twice('Observation', [['_revinclude', 'AuditEvent:entity']])).toBe(false);
  });

  it('never caches a chained search, whose answer depends on another type', async () => {
    await observation();
    const chained: [string, string][] = [['subject:Patient.gender', 'female']];
    expect(await twice('Observation', chained)).toBe(false);
    // A change of the chained-to Patient shows at once (a cached answer would still list it).
    const before = (await reader.search('Observation', chained)).entry?.length ?? 0;
    expect(before).toBeGreaterThan(0);
    const p = await client.read('Patient', patient);
    await client.update({ ...p, gender: 'male' });
    expect((await reader.search('Observation', chained)).entry ?? []).toHaveLength(0);
    await client.update({ ...(await client.read('Patient', patient)), gender: 'female' });
  });

  it('bounds the write counters it keeps: past maxGenerations all are dropped with every answer, none served stale', async () => {
    const bounded = new CachedReader(
      fresh,
      (l) => fhir.onWrite(l),
      (t, c) => fhir.registry.get(t, c)?.targets,
      { maxGenerations: 4 },
    );
    try {
      const q: [string, string][] = [['patient', patient]];
      // Taken while this patient's Condition counters are 0.
      expect((await bounded.search('Condition', q)).entry ?? []).toHaveLength(0);
      await client.create({
        resourceType: 'Condition',
        subject: { reference: `Patient/${patient}` },
        code: { text: 'atrial fibrillation' },
      });
      // Writes of other resources push the counters past the bound: the Condition's are dropped
      // (back to 0, as when the answer above was taken) — that answer must not be served again.
      for (let i = 0; i < 3; i++)
        await client.create({ resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' } });
      expect(bounded.counts.epochs).toBeGreaterThan(0);
      const misses = bounded.counts.misses;
      const after = await bounded.search('Condition', q);
      expect(bounded.counts.misses).toBe(misses + 1);
      expect(ids(after)).toEqual(ids(await fresh.search('Condition', q)));
      expect(after.entry).toHaveLength(1);
      // Still a cache: the same search again, no write between, is a hit.
      const hits = bounded.counts.hits;
      await bounded.search('Condition', q);
      expect(bounded.counts.hits).toBe(hits + 1);
    } finally {
      bounded.close();
    }
  });

  it('keeps one copy of a patient list for all the resources that name the same patients', async () => {
    const own = new CachedReader(
      fresh,
      (l) => fhir.onWrite(l),
      (t, c) => fhir.registry.get(t, c)?.targets,
    );
    try {
      const [a, b] = [await observation(), await observation()];
      const other = (await client.create({ resourceType: 'Patient', gender: 'male' })).id!;
      const c = await client.create({
        resourceType: 'Observation',
        status: 'final',
        code: { text: 'x' },
        subject: { reference: `Patient/${other}` },
      });
      const known = (own as unknown as { known: Map<string, readonly string[]> }).known;
      const listOf = (r: { id?: string }) => known.get(`Observation/${r.id}`);
      expect(listOf(a)).toEqual([patient]);
      expect(listOf(b)).toBe(listOf(a));
      expect(listOf(c)).toEqual([other]);
      expect(Object.isFrozen(listOf(a))).toBe(true);
      // Moved to the other patient: it shares that patient's list.
      await client.update({ ...a, subject: { reference: `Patient/${other}` } });
      expect(listOf(a)).toBe(listOf(c));
    } finally {
      own.close();
    }
  });

  it('hands out frozen answers and keeps no failure', async () => {
    const p = await reader.read('Patient', patient);
    expect(() => {
      (p as { gender?: string }).gender = 'male';
    }).toThrow(TypeError);
    const misses = reader.counts.misses;
    await expect(reader.read('Patient', 'no-such-patient')).rejects.toThrow();
    await expect(reader.read('Patient', 'no-such-patient')).rejects.toThrow();
    expect(reader.counts.misses - misses).toBe(2);
  });
});
