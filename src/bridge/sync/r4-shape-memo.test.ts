import { readdirSync, readFileSync } from 'node:fs';
import { validateResource } from '@medplum/core';
import { describe, expect, it } from 'vitest';
import { loadR4 } from '../../fhir/definitions/load-r4.js';
import type { FhirResource } from '../../fhir/types.js';
import { mapEndpoint } from '../mapping/index.js';
import { ShapeMemo, shapeOf } from './r4-shape-memo.js';
import { r4ResourceProblems } from './validate-before-write.js';

type Json = any;

const golden = new URL('../mapping/golden/', import.meta.url);
/** What the mapper writes: the golden ImagingStudies and Patients, an Endpoint, and an update's id/meta. */
const corpus: FhirResource[] = [
  ...readdirSync(golden)
    .filter((f) => f.endsWith('.expected.json'))
    .flatMap((f) => {
      const e = JSON.parse(readFileSync(new URL(f, golden), 'utf8'));
      return [e.imagingStudy, e.patient].filter(Boolean);
    }),
  mapEndpoint('https://pacs.example.org/dicomweb') as unknown as FhirResource,
];
corpus.push(
  ...corpus.map((r) => ({ ...r, id: 'a1b2', meta: { versionId: '3', lastUpdated: '2024-01-01T10:00:00.000Z' } })),
);

/** The full validator's verdict on structure and primitives (bindings are checked on every path anyway). */
function medplumPasses(r: FhirResource): boolean {
  try {
    return !(validateResource(r as never) as { severity: string }[]).some((i) => i.severity === 'error');
  } catch {
    return false;
  }
}

const BAD_VALUES: unknown[] = ['', '  ', 'a\u0000b', 'two  spaces', '2024-13-45', 1.5, -1, 0, true, null, {}, 'plain'];

/** Every variant of `r` with one primitive replaced, one key dropped or added, or an array unwrapped / a value wrapped. */
function* mutants(r: Json): Generator<Json> {
  const walk = function* (node: Json, set: (v: Json) => Json): Generator<Json> {
    if (Array.isArray(node)) {
      yield set(node[0]);
      yield set([]);
      for (let i = 0; i < node.length; i++) yield* walk(node[i], (v) => set(node.map((x, j) => (j === i ? v : x))));
      return;
    }
    if (node !== null && typeof node === 'object') {
      yield set({ ...node, unknownElement: 'x' });
      yield set({ ...node, _status: { extension: [] } });
      for (const k of Object.keys(node)) {
        if (k === 'resourceType') continue;
        const { [k]: _, ...without } = node;
        yield set(without);
        yield set({ ...node, [k]: [node[k]] });
        yield* walk(node[k], (v) => set({ ...node, [k]: v }));
      }
      return;
    }
    for (const bad of BAD_VALUES) yield set(bad);
  };
  yield* walk(r, (v) => v);
}

describe('the R4 shape memo', () => {
  loadR4();

  it('takes the shortcut for what the mapper writes (every golden resource without an extension has a shape)', () => {
    for (const r of corpus) {
      expect(medplumPasses(r), JSON.stringify(r)).toBe(true);
      const extended = JSON.stringify(r).includes('"extension"'); // the full validator's (value[x])
      expect(shapeOf(r) === undefined, JSON.stringify(r).slice(0, 300)).toBe(extended);
    }
  });

  it('never calls valid what the full validator refuses: every mutant of the corpus whose shape is known passes it', () => {
    const memo = new ShapeMemo();
    for (const r of corpus) memo.remember(shapeOf(r));
    let hits = 0;
    let refused = 0;
    for (const r of corpus)
      for (const m of mutants(r)) {
        const passes = medplumPasses(m);
        if (!passes) refused++;
        if (!memo.known(shapeOf(m))) continue;
        hits++;
        expect(passes, JSON.stringify(m).slice(0, 600)).toBe(true);
      }
    // Not vacuous: many mutants are refused, and valid ones with other values do take the shortcut.
    expect(refused).toBeGreaterThan(500);
    expect(hits).toBeGreaterThan(50);
  }, 300_000);

  it('sends value-reading invariants, choice types, extensions and contained references to the full validator', () => {
    const patient = corpus.find((r) => r.resourceType === 'Patient') as Json;
    const study = corpus.find((r) => r.resourceType === 'ImagingStudy') as Json;
    expect(
      shapeOf({ ...patient, identifier: [{ ...patient.identifier[0], period: { start: '2024', end: '2020' } }] }),
    ).toBe(undefined); // per-1
    expect(shapeOf({ ...patient, deceasedBoolean: false })).toBe(undefined);
    expect(shapeOf({ ...patient, extension: [{ url: 'http://x', valueString: 'y' }] })).toBe(undefined);
    expect(shapeOf({ ...study, subject: { reference: '#p1' } })).toBe(undefined); // ref-1
    expect(
      shapeOf({ ...study, text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">x</div>' } }),
    ).toBe(undefined); // txt-1
  });

  it('still reports through r4ResourceProblems what a known shape holds wrong: codes, primitives, invariants', () => {
    const study = corpus.find((r) => r.resourceType === 'ImagingStudy') as Json;
    const patient = corpus.find((r) => r.resourceType === 'Patient') as Json;
    expect(r4ResourceProblems(study)).toEqual([]); // its shape is now known
    expect(r4ResourceProblems(patient)).toEqual([]);
    const text = (r: Json) =>
      r4ResourceProblems(r)
        .map((p) => `${p.expression}: ${p.message}`)
        .join('; ');
    expect(text({ ...study, status: 'done' })).toMatch(/imagingstudy-status/);
    expect(text({ ...patient, gender: 'w' })).toMatch(/administrative-gender/);
    expect(text({ ...study, description: 'a\u0000b' })).toMatch(/ImagingStudy\.description/);
    expect(text({ ...patient, birthDate: '1965-13-01' })).toMatch(/Patient\.birthDate/);
    expect(text({ ...study, description: 'x'.repeat(1024 * 1024 + 1) })).toMatch(/ImagingStudy\.description/);
  });
});
