/**
 * Invalidation per patient (cached-reader.ts, patient-scope.ts): an answer about one patient survives
 * writes about others, and never survives a write that can change it — a resource moved between
 * patients, deleted, one this reader never saw, one with a reference it cannot tell apart. Each
 * answer is checked against a fresh read of the same store; a random run of writes ends the suite.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FhirClient, inProcessFhirClient, LocalFhirReader } from '../fhir/client/index.js';
import { type EmbeddedFhir, openEmbeddedFhir } from '../fhir/embedded.js';
import type { Bundle, FhirResource } from '../fhir/types.js';
import { CachedReader } from './cached-reader.js';

const BASE = 'http://ib.test/fhir';
const ids = (b: Bundle) => (b.entry ?? []).map((e) => `${e.resource?.resourceType}/${e.resource?.id}`).sort();

describe('CachedReader: invalidation per patient', () => {
  let dir: string;
  let fhir: EmbeddedFhir;
  let client: FhirClient;
  let fresh: LocalFhirReader;
  let reader: CachedReader;
  const patients: string[] = [];

  const open = () =>
    new CachedReader(
      fresh,
      (l) => fhir.onWrite(l),
      (t, c) => fhir.registry.get(t, c)?.targets,
      { maxEntries: 1000 },
    );

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ib-cached-patients-'));
    fhir = openEmbeddedFhir({ dataDir: dir, publicUrl: 'http://ib.test', section: undefined });
    client = inProcessFhirClient(fhir.router, BASE);
    fresh = new LocalFhirReader(fhir.router, BASE);
    for (let i = 0; i < 3; i++) patients.push((await client.create({ resourceType: 'Patient', gender: 'male' })).id!);
    reader = open();
  });
  afterAll(() => {
    reader.close();
    fhir.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const observation = (patient: string, code = 'x') =>
    client.create({
      resourceType: 'Observation',
      status: 'final',
      code: { text: code },
      subject: { reference: `Patient/${patient}` },
    });

  /** One read through the cache: whether it was a hit, checked against a fresh read. */
  async function ask(r: CachedReader, type: string, params: [string, string][]) {
    const hits = r.counts.hits;
    const b = await r.search(type, params);
    expect(ids(b)).toEqual(ids(await fresh.search(type, params)));
    return r.counts.hits > hits;
  }

  const of = (p: string): [string, string][] => [['patient', p]];

  it('keeps an answer about one patient across writes about another', async () => {
    const [a, b] = patients as [string, string];
    await observation(a);
    await ask(reader, 'Observation', of(a));
    await observation(b);
    expect(await ask(reader, 'Observation', of(a))).toBe(true);
    expect(await ask(reader, 'Observation', [['subject', `Patient/${a}`]])).toBe(false);
    await observation(b);
    expect(await ask(reader, 'Observation', [['subject', `Patient/${a}`]])).toBe(true);
    // A search not restricted to one patient still goes stale with any write of its type.
    await ask(reader, 'Observation', [['status', 'final']]);
    await observation(b);
    expect(await ask(reader, 'Observation', [['status', 'final']])).toBe(false);
    await observation(a);
    expect(await ask(reader, 'Observation', of(a))).toBe(false);
  });

  it('drops the answers of both patients when a resource moves between them, and on delete', async () => {
    const [a, b] = patients as [string, string];
    const o = await observation(a, 'moving');
    await ask(reader, 'Observation', of(a));
    await ask(reader, 'Observation', of(b));
    await client.update({ ...o, subject: { reference: `Patient/${b}` } });
    expect(await ask(reader, 'Observation', of(a))).toBe(false);
    expect(await ask(reader, 'Observation', of(b))).toBe(false);
    await fhir.repository.delete('Observation', o.id!);
    expect(await ask(reader, 'Observation', of(b))).toBe(false);
    expect(await ask(reader, 'Observation', of(a))).toBe(true);
  });

  it('drops every answer of the type for a write it cannot place: a resource never seen, a bare reference', async () => {
    const [a, b, c] = patients as [string, string, string];
    const unseen = await observation(c, 'before the reader');
    const second = open();
    try {
      await ask(second, 'Observation', of(a));
      await ask(second, 'Observation', of(b));
      // Moved from c (which `second` never read) to a: only a guess could keep b's answer.
      await client.update({ ...unseen, subject: { reference: `Patient/${a}` } });
      expect(await ask(second, 'Observation', of(a))).toBe(false);
      expect(await ask(second, 'Observation', of(b))).toBe(false);
      await client.create({
        resourceType: 'Observation',
        status: 'final',
        code: { text: 'y' },
        subject: { reference: b },
      });
      expect(await ask(second, 'Observation', of(a))).toBe(false);
    } finally {
      second.close();
    }
  });

  it('keeps a read of one resource across writes of others of its type', async () => {
    const [a, b] = patients as [string, string];
    const p = await reader.read('Patient', a);
    await client.update({ ...(await client.read('Patient', b)), gender: 'female' });
    const hits = reader.counts.hits;
    expect(await reader.read('Patient', a)).toEqual(p);
    expect(reader.counts.hits - hits).toBe(1);
    await client.update({ ...(await client.read('Patient', a)), gender: 'other' });
    expect((await reader.read('Patient', a)).gender).toBe('other');
  });

  it('answers as a fresh read through a random run of creates, moves, edits and deletes', async () => {
    // mulberry32: a seeded generator whose low bits are not periodic (an LCG's are).
    let seed = 12345;
    const random = (n: number) => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) % n;
    };
    const done = { moves: 0, deletes: 0 };
    const live: FhirResource[] = [];
    const queries = (p: string): [string, [string, string][]][] => [
      ['Observation', of(p)],
      [
        'Observation',
        [
          ['subject', `Patient/${p}`],
          ['code', 's|lab'],
        ],
      ],
      ['Condition', of(p)],
      [
        'Observation',
        [
          ['patient', p],
          ['_sort', '-date'],
          ['_count', '2'],
        ],
      ],
    ];
    let hits = 0;
    for (let step = 0; step < 120; step++) {
      const p = patients[random(patients.length)]!;
      const action = random(4);
      const target = live.length ? live[random(live.length)]! : undefined;
      if (action === 0 || !target) {
        const type = random(2) ? 'Observation' : 'Condition';
        const r =
          type === 'Observation'
            ? await client.create({
                resourceType: 'Observation',
                status: 'final',
                code: { coding: [{ system: 's', code: random(2) ? 'lab' : 'vital' }] },
                subject: { reference: `Patient/${p}` },
              })
            : await client.create({ resourceType: 'Condition', subject: { reference: `Patient/${p}` } });
        live.push(r);
      } else if (action === 1) {
        const moved = { ...target, subject: { reference: `Patient/${p}` } } as FhirResource;
        done.moves++;
        live[live.indexOf(target)] = (await client.update(moved)) as FhirResource;
      } else if (action === 2 && target.resourceType === 'Observation') {
        const edited = {
          ...target,
          code: { coding: [{ system: 's', code: random(2) ? 'lab' : 'vital' }] },
        } as FhirResource;
        live[live.indexOf(target)] = (await client.update(edited)) as FhirResource;
      } else {
        await fhir.repository.delete(target.resourceType, target.id!);
        done.deletes++;
        live.splice(live.indexOf(target), 1);
      }
      for (const q of patients) for (const [type, params] of queries(q)) if (await ask(reader, type, params)) hits++;
    }
    expect(done.moves).toBeGreaterThan(10);
    expect(done.deletes).toBeGreaterThan(10);
    // Most answers survive a write about one of three patients: the cache still serves.
    expect(hits).toBeGreaterThan(120 * 12 * 0.4);
  });
});
