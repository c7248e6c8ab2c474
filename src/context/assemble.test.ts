import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FhirResource } from '../fhir/types.js';
import { allowAll, type AccessPolicy } from '../fhir/access/access-policy.js';
import { assembleContext, type AssemblyInput } from './assemble.js';
import { contextBundle } from './bundle.js';

const DIR = join(import.meta.dirname, 'golden');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

/** A golden input file as the assembly's arguments; `policy` lists types and ids the caller may not see. */
function inputOf(file: string): AssemblyInput {
  const raw = JSON.parse(readFileSync(join(DIR, file), 'utf8'));
  const denied = new Set<string>(raw.policy?.deniedTypes ?? []);
  const hidden = new Set<string>(raw.policy?.hiddenIds ?? []);
  const policy: AccessPolicy = raw.policy
    ? {
        description: 'test policy',
        canRead: (t) => !denied.has(t),
        canSearch: (t) => !denied.has(t),
        canWrite: () => false,
        canSeePatient: () => true,
        canSee: (r: FhirResource) => !hidden.has(r.id!),
      }
    : allowAll;
  const { request } = raw;
  return {
    patient: raw.patient,
    sections: raw.sections,
    sources: raw.sources,
    request: { ...request, ...(request.since ? { since: Date.parse(request.since) } : {}) },
    dicomWebBase: 'https://ib.example/dicomweb',
    now: Date.parse(raw.now),
    policy,
  };
}

const cases = readdirSync(DIR)
  .filter((f) => f.endsWith('.input.json'))
  .map((f) => f.replace('.input.json', ''));

describe('patient-context assembly (golden files: input sections → context JSON and Bundle)', () => {
  it.each(cases)('%s gives the expected context document and Bundle', (name) => {
    const assembled = assembleContext(inputOf(`${name}.input.json`));
    const actual = {
      context: assembled.context,
      bundle: contextBundle(assembled, 'https://ib.example/fhir', '2025-03-10T08:00:00.000Z'),
    };
    const path = join(DIR, `${name}.expected.json`);
    if (UPDATE) writeFileSync(path, `${JSON.stringify(actual, null, 2)}\n`);
    expect(actual).toEqual(JSON.parse(readFileSync(path, 'utf8')));
  });

  it('gives the same document for the same input, whatever the order the server returned resources in', () => {
    const input = inputOf('stroke-work-up.input.json');
    const reversed = { ...input, sections: structuredClone(input.sections) };
    for (const d of Object.values(reversed.sections)) d?.resources.reverse();
    expect(assembleContext(reversed).context).toEqual(assembleContext(input).context);
  });

  it('marks the context incomplete and the failed section null, never an empty list, when a query failed', () => {
    const { context } = assembleContext(inputOf('partial-and-since.input.json'));
    expect(context.observations).toBeNull();
    expect(context.allergies).toBeNull();
    expect(context.complete).toBe(false);
    expect(context.sources.map((s) => s.status)).toEqual(['ok', 'timeout', 'denied']);
  });

  it('leaves out sections not asked for, and keeps a resource the policy hides out of every section and the Bundle', () => {
    const input = inputOf('partial-and-since.input.json');
    const assembled = assembleContext(input);
    expect(assembled.context).not.toHaveProperty('encounters');
    expect(assembled.context.imagingStudies).toEqual([expect.objectContaining({ id: 'b' })]);
    expect(assembled.resources.map((r) => r.id)).not.toContain('a');
  });
});
