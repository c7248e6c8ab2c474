/**
 * A small archive index for the QIDO-RS tests, built through SqliteIndex.commitSync from
 * hand-written DICOM JSON. Four studies:
 *  A  Japanese three-group name, CT + SR, 3 instances, StudyTime 093000, +0900
 *  B  Latin-1 name (Müller), MR with bulk data and ImageType, StudyTime "1000"
 *  C  SMITH^JOHN, CT + MR, late evening
 *  D  Smithson^Jane, US, no StudyTime, no referring physician
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe } from 'vitest';
import { suitePostgres } from '../../core/postgres/suite-postgres.js';
import { PgIndex } from '../postgres/pg-index.js';
import { PgQidoBackend } from '../postgres/pg-qido.js';
import { SqliteIndex } from '../sqlite/sqlite-index.js';
import { SqliteQidoBackend } from '../sqlite/sqlite-qido.js';
import type { InstanceRecord } from '../types.js';
import type { DicomJson } from '../../dicom/types.js';
import { QidoService } from './qido-service.js';
import type { QidoLevel, QidoResponse } from './types.js';

export const CT_IMAGE = '1.2.840.10008.5.1.4.1.1.2';
export const MR_IMAGE = '1.2.840.10008.5.1.4.1.1.4';
export const BASIC_TEXT_SR = '1.2.840.10008.5.1.4.1.1.88.11';
export const US_IMAGE = '1.2.840.10008.5.1.4.1.1.6.1';

export const UID = {
  studyA: '1.2.826.0.1.1',
  seriesA1: '1.2.826.0.1.1.1',
  seriesA2: '1.2.826.0.1.1.2',
  studyB: '1.2.826.0.1.2',
  seriesB1: '1.2.826.0.1.2.1',
  studyC: '1.2.826.0.1.3',
  seriesC1: '1.2.826.0.1.3.1',
  seriesC2: '1.2.826.0.1.3.2',
  studyD: '1.2.826.0.1.4',
  seriesD1: '1.2.826.0.1.4.1',
} as const;

const s = (vr: string, ...values: (string | number)[]) => ({ vr, Value: values });
const pn = (alphabetic: string, ideographic?: string, phonetic?: string) => ({
  vr: 'PN',
  Value: [
    {
      Alphabetic: alphabetic,
      ...(ideographic ? { Ideographic: ideographic } : {}),
      ...(phonetic ? { Phonetic: phonetic } : {}),
    },
  ],
});

const studyA: DicomJson = {
  '00080005': s('CS', '', 'ISO 2022 IR 87'),
  '00080020': s('DA', '20240105'),
  '00080030': s('TM', '093000'),
  '00080050': s('SH', 'ACC-1'),
  '00080090': pn('Smith^Anna'),
  '00080201': s('SH', '+0900'),
  '00081030': s('LO', 'CT CHEST'),
  '00100010': pn('Yamada^Tarou', '山田^太郎', 'やまだ^たろう'),
  '00100020': s('LO', 'PID-JP'),
  '00100030': s('DA', '19700101'),
  '00100040': s('CS', 'M'),
  '00101010': s('AS', '054Y'),
  '00102160': s('SH', 'JAPANESE'),
  '0020000D': s('UI', UID.studyA),
  '00200010': s('SH', 'S1'),
};
const studyB: DicomJson = {
  '00080005': s('CS', 'ISO_IR 100'),
  '00080020': s('DA', '20240106'),
  '00080030': s('TM', '1000'),
  '00080050': s('SH', 'ACC-2'),
  '00080090': pn('Doe^John'),
  '00081030': s('LO', 'MR KNEE [LEFT]'),
  '00100010': pn('Müller^Jürgen'),
  '00100020': s('LO', 'PID-DE'),
  '00100030': s('DA', '19850315'),
  '00100040': s('CS', 'M'),
  '00101010': s('AS', '039Y'),
  '0020000D': s('UI', UID.studyB),
  '00200010': s('SH', 'S2'),
};
const studyC: DicomJson = {
  '00080020': s('DA', '20240107'),
  '00080030': s('TM', '235959'),
  '00080050': s('SH', 'ACC-3'),
  '00080090': pn('Smith^Anna'),
  '00081030': s('LO', 'CT ABDOMEN'),
  '00100010': pn('SMITH^JOHN'),
  '00100020': s('LO', 'PID-US'),
  '00100030': s('DA', '19800101'),
  '00100040': s('CS', 'F'),
  '0020000D': s('UI', UID.studyC),
  '00200010': s('SH', 'S3'),
};
const studyD: DicomJson = {
  '00080020': s('DA', '20231231'),
  '00080050': s('SH', 'ACC-4'),
  '00100010': pn('Smithson^Jane'),
  '00100020': s('LO', 'PID-US2'),
  '0020000D': s('UI', UID.studyD),
  '00200010': s('SH', 'S4'),
};

const series = (
  uid: string,
  modality: string,
  number: number,
  description: string,
  ppsDate?: string,
  ppsTime?: string,
): DicomJson => ({
  '00080060': s('CS', modality),
  '0008103E': s('LO', description),
  '0020000E': s('UI', uid),
  '00200011': s('IS', number),
  ...(ppsDate ? { '00400244': s('DA', ppsDate) } : {}),
  ...(ppsTime ? { '00400245': s('TM', ppsTime) } : {}),
});

const image = (sop: string, sopClass: string, number: number, extra: DicomJson = {}): DicomJson => ({
  '00080016': s('UI', sopClass),
  '00080018': s('UI', sop),
  '00200013': s('IS', number),
  ...extra,
});

const pixels = (rows: number, columns: number, bits: number): DicomJson => ({
  '00280010': s('US', rows),
  '00280011': s('US', columns),
  '00280100': s('US', bits),
  '7FE00010': { vr: 'OW', BulkDataURI: '\u0001bulk/7FE00010' },
});

function record(study: DicomJson, seriesJson: DicomJson, instance: DicomJson): InstanceRecord {
  const json = { ...study, ...seriesJson, ...instance };
  const uid = (tag: string) => String(json[tag]!.Value![0]);
  return {
    studyUid: uid('0020000D'),
    seriesUid: uid('0020000E'),
    sopUid: uid('00080018'),
    sopClassUid: uid('00080016'),
    transferSyntaxUid: '1.2.840.10008.1.2.1',
    blobKey: `blob/${uid('00080018')}`,
    size: 1000,
    datasetOffset: 0,
    json,
    source: 'TEST',
  };
}

export function testRecords(): InstanceRecord[] {
  const a1 = series(UID.seriesA1, 'CT', 1, 'AXIAL', '20240105', '093500');
  const a2 = series(UID.seriesA2, 'SR', 2, 'REPORT');
  const b1 = series(UID.seriesB1, 'MR', 1, 'SAG PD', '20240106', '1005');
  const c1 = series(UID.seriesC1, 'CT', 1, 'PORTAL VENOUS', '20240107', '235959');
  const c2 = series(UID.seriesC2, 'MR', 2, 'T2 AX');
  const d1 = series(UID.seriesD1, 'US', 1, 'ABDOMEN');
  return [
    record(studyA, a1, image(`${UID.seriesA1}.1`, CT_IMAGE, 1, pixels(512, 512, 16))),
    record(studyA, a1, image(`${UID.seriesA1}.2`, CT_IMAGE, 2, pixels(512, 512, 16))),
    record(studyA, a2, image(`${UID.seriesA2}.1`, BASIC_TEXT_SR, 1)),
    record(
      studyB,
      b1,
      image(`${UID.seriesB1}.1`, MR_IMAGE, 1, {
        '00080008': s('CS', 'ORIGINAL', 'PRIMARY'),
        '00180050': s('DS', 3.5),
        ...pixels(256, 256, 16),
        '00282000': {
          vr: 'SQ',
          Value: [{ '00880200': { vr: 'OB', BulkDataURI: '\u0001bulk/icon' }, '00280010': s('US', 64) }],
        },
      }),
    ),
    record(studyC, c1, image(`${UID.seriesC1}.1`, CT_IMAGE, 1, pixels(512, 512, 16))),
    record(studyC, c2, image(`${UID.seriesC2}.1`, MR_IMAGE, 1, { '00280008': s('IS', 20), ...pixels(256, 256, 16) })),
    record(studyD, d1, image(`${UID.seriesD1}.1`, US_IMAGE, 1, pixels(480, 640, 8))),
  ];
}

export const PUBLIC_URL = 'https://pacs.example.org';

export function testArchive(maxResults = 100): { index: SqliteIndex; qido: QidoService } {
  const index = new SqliteIndex(':memory:');
  index.commitSync(testRecords().map((record) => ({ record, replaces: null })));
  return { index, qido: new QidoService(new SqliteQidoBackend(index.db), { publicUrl: PUBLIC_URL, maxResults }) };
}

export type Searcher = (
  level: QidoLevel,
  query?: string,
  scope?: { studyUid?: string; seriesUid?: string },
) => Promise<QidoResponse>;

/** Run a search given the query string (as a client would type it). */
export function searcher(qido: QidoService): Searcher {
  return (level, query = '', scope = {}) => qido.search({ level, ...scope, query: new URLSearchParams(query) });
}

/** An archive index of given records behind a QIDO service, on one backend. */
export interface QidoTestArchive {
  qido: QidoService;
  close(): Promise<void>;
}

interface QidoTestBackend {
  name: string;
  /** Why the backend cannot run here: its suites are reported skipped with the reason. */
  skip?: string;
  open(records: InstanceRecord[], maxResults: number): Promise<QidoTestArchive>;
}

// The throwaway cluster (if one was started) ends with the test file that started it.
const postgres = suitePostgres();

/** The QIDO backends every shared QIDO test runs against: SQLite, and PostgreSQL where one is available. */
const BACKENDS: QidoTestBackend[] = [
  {
    name: 'SQLite',
    open: async (records, maxResults) => {
      const index = new SqliteIndex(':memory:');
      index.commitSync(records.map((record) => ({ record, replaces: null })));
      const qido = new QidoService(new SqliteQidoBackend(index.db), { publicUrl: PUBLIC_URL, maxResults });
      return { qido, close: () => index.close() };
    },
  },
  {
    name: 'PostgreSQL',
    ...(postgres.skip === undefined ? {} : { skip: postgres.skip }),
    open: async (records, maxResults) => {
      const index = await PgIndex.open(await postgres.url(), `q_${randomBytes(6).toString('hex')}`);
      await index.commit(records.map((record) => ({ record, replaces: null })));
      const qido = new QidoService(new PgQidoBackend(index.pool, index.schema), { publicUrl: PUBLIC_URL, maxResults });
      return {
        qido,
        close: async () => {
          await index.dropSchema();
          await index.close();
        },
      };
    },
  },
];

/**
 * Declares `body`'s tests once per QIDO backend, over an archive of `records` (default: the
 * four test studies) opened before them and closed after.
 */
export function forEachQidoBackend(
  title: string,
  body: (search: Searcher, archive: () => QidoTestArchive) => void,
  options: { records?: () => InstanceRecord[]; maxResults?: number } = {},
): void {
  for (const backend of BACKENDS) {
    describe.skipIf(backend.skip !== undefined)(
      `${title} (${backend.name})${backend.skip ? ` (skipped: ${backend.skip})` : ''}`,
      () => {
        let archive: QidoTestArchive | undefined;
        const current = () => {
          if (!archive) throw new Error('the test archive is not open');
          return archive;
        };
        beforeAll(async () => {
          archive = await backend.open((options.records ?? testRecords)(), options.maxResults ?? 100);
        }, 60_000);
        afterAll(async () => {
          await archive?.close();
        });
        body(
          (level, query, scope) => current().qido.search({ level, ...scope, query: new URLSearchParams(query ?? '') }),
          current,
        );
      },
    );
  }
}

/** First value of an attribute of each result. */
export const values = (res: QidoResponse, tag: string): unknown[] => res.body.map((d) => d[tag]?.Value?.[0]);

export const studyUids = (res: QidoResponse): unknown[] => values(res, '0020000D');

/**
 * `count` generated studies of one series and one instance each, for searches with many
 * results: study i is MR when i % 3 === 0 (CT otherwise), dated 2020-01-01 + i days, its
 * patient named GEN^P<i % 7>.
 */
export function generatedRecords(count: number, prefix = '1.2.826.0.1.9'): InstanceRecord[] {
  const day = (i: number) =>
    new Date(Date.UTC(2020, 0, 1) + i * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '');
  return Array.from({ length: count }, (_, i) => {
    const uid = `${prefix}.${i + 1}`;
    const study: DicomJson = {
      '00080020': s('DA', day(i)),
      '00080030': s('TM', '120000'),
      '00080050': s('SH', `GEN-${i}`),
      '00100010': pn(`GEN^P${i % 7}`),
      '00100020': s('LO', `GEN-PID-${i % 11}`),
      '0020000D': s('UI', uid),
      '00200010': s('SH', `G${i}`),
    };
    const modality = i % 3 === 0 ? 'MR' : 'CT';
    return record(
      study,
      series(`${uid}.1`, modality, 1, 'GENERATED'),
      image(`${uid}.1.1`, modality === 'MR' ? MR_IMAGE : CT_IMAGE, 1, pixels(64, 64, 16)),
    );
  });
}

/** An index of `count` generated studies and a QIDO service over it (cap 0: none). */
export function generatedArchive(count: number, maxResults = 0): { index: SqliteIndex; qido: QidoService } {
  const index = new SqliteIndex(':memory:');
  index.commitSync(generatedRecords(count).map((record) => ({ record, replaces: null })));
  return { index, qido: new QidoService(new SqliteQidoBackend(index.db), { publicUrl: PUBLIC_URL, maxResults }) };
}
