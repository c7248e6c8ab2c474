import { describe, expect, it } from 'vitest';
import { ct400Instances, memoryInstances, scaleHeaders, smallInstances } from '../../bench/datasets.js';
import { UID_ROOT } from '../../bench/headers.js';
import { encodeInstance } from '../../bench/generate.js';
import type { DicomJson } from '../../src/dicom/types.js';

const first = (json: DicomJson, tag: string): unknown => json[tag]?.Value?.[0];

describe('bench data set generators', () => {
  it('SMALL10K: 5,000 studies × 2 over 2,000 patients, mixed modalities, spread dates, deterministic', () => {
    const studies = new Set<string>();
    const patients = new Set<string>();
    const modalities = new Map<string, number>();
    const years = new Set<string>();
    let instances = 0;
    for (const inst of smallInstances()) {
      instances++;
      studies.add(inst.studyUid);
      patients.add(String(first(inst.json, '00100020')));
      const modality = String(first(inst.json, '00080060'));
      modalities.set(modality, (modalities.get(modality) ?? 0) + 1);
      years.add(String(first(inst.json, '00080020')).slice(0, 4));
      expect(inst.sopInstanceUid.startsWith(`${UID_ROOT}.`)).toBe(true);
      expect(inst.sopInstanceUid.length).toBeLessThanOrEqual(64);
    }
    expect(instances).toBe(10_000);
    expect(studies.size).toBe(5_000);
    expect(patients.size).toBe(2_000);
    expect([...modalities.keys()].sort()).toEqual(['CR', 'CT', 'DX', 'MR', 'US']);
    expect(years.size).toBeGreaterThanOrEqual(14);
    const again = smallInstances().next().value!;
    expect(again.json).toEqual(smallInstances().next().value!.json);
    expect(again.pixels().equals(smallInstances().next().value!.pixels())).toBe(true);
  });

  it('CT400: one series of 400 512×512 16-bit slices, encoded as ~525 KB Part 10 files', () => {
    const gen = ct400Instances();
    const one = gen.next().value!;
    expect(first(one.json, '00280010')).toBe(512);
    expect(one.pixels().length).toBe(512 * 512 * 2);
    const bytes = encodeInstance(one);
    expect(bytes.subarray(128, 132).toString('latin1')).toBe('DICM');
    expect(bytes.length).toBeGreaterThan(524_288);
    let count = 1;
    for (const inst of gen) {
      count++;
      expect(inst.studyUid).toBe(one.studyUid);
    }
    expect(count).toBe(400);
  });

  it('SCALE and MEMORY are lazy and distinct from the file sets', () => {
    const scale = scaleHeaders().next().value!;
    const memory = memoryInstances(2_000).next().value!;
    expect(
      new Set([
        scale.studyUid,
        memory.studyUid,
        smallInstances().next().value!.studyUid,
        ct400Instances().next().value!.studyUid,
      ]).size,
    ).toBe(4);
    expect(memory.pixels().length).toBe(512 * 512 * 2);
  });
});
