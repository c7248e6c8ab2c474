/** The P4 QIDO-RS query mix (SMALL10K, SCALE): deterministic, identical for both servers. */
import { formatDate, patientSpec, type DatasetName } from '../headers.js';
import type { StudySetShape } from '../datasets.js';
import { SURNAMES } from '../vocabulary.js';

export type QueryKind = 'PatientID' | 'StudyDate range' | 'PatientName wildcard' | 'ModalitiesInStudy=MR' | 'limit=100';
export const QUERY_KINDS: readonly QueryKind[] = [
  'PatientID',
  'StudyDate range',
  'PatientName wildcard',
  'ModalitiesInStudy=MR',
  'limit=100',
];

const DAY_MS = 86_400_000;
const EPOCH_2010 = Date.UTC(2010, 0, 1);

/** The i-th query of a kind (path and query below the DICOMweb root); IDs and names exist in `dataset`. */
export function queryFor(
  kind: QueryKind,
  i: number,
  seed: number,
  shape: StudySetShape,
  dataset: DatasetName = 'SMALL10K',
): string {
  switch (kind) {
    case 'PatientID':
      return `studies?PatientID=${patientSpec(seed, dataset, (i * 37) % shape.patients).id}`;
    case 'StudyDate range': {
      // ~3-month windows spread over the whole date range.
      const days = Math.floor(shape.years * 365.25) - 92;
      const start = EPOCH_2010 + ((i * 97) % days) * DAY_MS;
      return `studies?StudyDate=${formatDate(start)}-${formatDate(start + 91 * DAY_MS)}`;
    }
    case 'PatientName wildcard':
      return `studies?PatientName=${SURNAMES[i % SURNAMES.length]}*`;
    case 'ModalitiesInStudy=MR':
      return 'studies?ModalitiesInStudy=MR';
    case 'limit=100':
      return 'studies?limit=100';
  }
}

/** A named SCALE query: the P4 kinds, then the large answers paged by 100 and 1,000. */
export interface ScaleQuery {
  name: string;
  query: (i: number) => string;
}

/** The SCALE queries the QIDO CPU harnesses run (`bench/qido-cpu.ts`, `bench/qido-server-cpu.ts`), filtered by `only` (a regex). */
export function scaleQueries(seed: number, shape: StudySetShape, only?: string): ScaleQuery[] {
  const paged = (['StudyDate range', 'PatientName wildcard', 'ModalitiesInStudy=MR'] as const).flatMap((k) =>
    [100, 1000].map((n) => ({
      name: `${k} &limit=${n}`,
      query: (i: number) => `${queryFor(k, i, seed, shape, 'SCALE')}&limit=${n}`,
    })),
  );
  const all = [
    ...QUERY_KINDS.map((k) => ({ name: k, query: (i: number) => queryFor(k, i, seed, shape, 'SCALE') })),
    ...paged,
  ];
  return only === undefined ? all : all.filter((k) => new RegExp(only).test(k.name));
}
