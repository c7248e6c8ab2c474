import { afterAll, describe, expect, it } from 'vitest';
import type { DicomJson } from '../../dicom/index.js';
import { generatedArchive } from '../../archive/query/test-support.js';
import { find } from './find-service.js';

const COUNT = 1_300;
// A server cap far below the number of matches: C-FIND must not be cut by it.
const { index, qido } = generatedArchive(COUNT, 100);
afterAll(() => index.close());

const identifier = (level: string, extra: DicomJson = {}): DicomJson => ({
  '00080052': { vr: 'CS', Value: [level] },
  '0020000D': { vr: 'UI' },
  ...extra,
});

async function collect(results: AsyncIterable<DicomJson>): Promise<DicomJson[]> {
  const out: DicomJson[] = [];
  for await (const r of results) out.push(r);
  return out;
}

describe('C-FIND over the chunked QIDO results', () => {
  const opts = { qido, aeTitle: 'IMGBRIDGE' };

  it('answers every match, in index order, whatever the QIDO-RS cap', async () => {
    const studies = await collect(find(opts, 'study', identifier('STUDY'), () => false));
    expect(studies).toHaveLength(COUNT);
    expect(studies[0]!['0020000D']!.Value).toEqual(['1.2.826.0.1.9.1']);
    expect(studies.at(-1)!['0020000D']!.Value).toEqual([`1.2.826.0.1.9.${COUNT}`]);
    const mr = await collect(
      find(opts, 'study', identifier('STUDY', { '00080061': { vr: 'CS', Value: ['MR'] } }), () => false),
    );
    expect(mr).toHaveLength(Math.ceil(COUNT / 3));
  });

  it('groups patients over all chunks', async () => {
    const asked = identifier('PATIENT', { '00100020': { vr: 'LO' }, '00201200': { vr: 'IS' } });
    const patients = await collect(find(opts, 'patient', asked, () => false));
    expect(patients).toHaveLength(11);
    const studies = patients.map((p) => Number(p['00201200']?.Value?.[0]));
    expect(studies.reduce((a, b) => a + b, 0)).toBe(COUNT);
  });

  it('stops reading when the association cancels', async () => {
    let answered = 0;
    for await (const _ of find(opts, 'study', identifier('STUDY'), () => answered >= 120)) answered++;
    expect(answered).toBe(120);
  });
});
