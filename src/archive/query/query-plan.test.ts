import { afterAll, describe, expect, it } from 'vitest';
import { compileSearch } from '../sqlite/sqlite-qido.js';
import { FIRST_CHUNK } from './qido-service.js';
import { BEFORE_ALL, chunkParams } from './search-sql.js';
import { searcher, testArchive } from './test-support.js';
import type { QidoLevel } from './types.js';

const { index, qido } = testArchive();
const search = searcher(qido);
afterAll(() => index.close());

function queryPlan(level: QidoLevel, query: string, scope = {}): string {
  const { statement } = compileSearch({ level, ...scope, query: new URLSearchParams(query) }, 100);
  const bounds = { after: BEFORE_ALL, take: FIRST_CHUNK, skip: 0 };
  const rows = index.db.prepare(`EXPLAIN QUERY PLAN ${statement.sql}`).all(...chunkParams(statement, bounds)) as {
    detail: string;
  }[];
  return rows.map((r) => r.detail).join('\n');
}

describe('searches use the index', () => {
  it('PatientID uses studies_patient_id, the next chunk starting inside the index entry', () => {
    expect(queryPlan('study', 'PatientID=PID-US')).toMatch(
      /SEARCH st USING COVERING INDEX studies_patient_id \(patient_id=\? AND rowid>\?\)/,
    );
  });

  it('a StudyDate range uses studies_date', () => {
    expect(queryPlan('study', 'StudyDate=20240101-20240301')).toMatch(
      /USING COVERING INDEX studies_date \(study_date>\? AND study_date<\?\)/,
    );
  });

  it('a PatientName prefix uses studies_patient_name', () => {
    expect(queryPlan('study', 'PatientName=smi*')).toMatch(
      /USING COVERING INDEX studies_patient_name \(patient_name_norm>\? AND patient_name_norm<\?\)/,
    );
  });

  it('ModalitiesInStudy alone finds the studies through series_modality, from the previous chunk on', () => {
    const plan = queryPlan('study', 'ModalitiesInStudy=MR');
    expect(plan).toMatch(/SEARCH sm USING COVERING INDEX series_modality \(modality=\? AND study_pk>\?\)/);
    expect(plan).not.toMatch(/TEMP B-TREE/);
    expect(plan).toMatch(/SEARCH st USING INTEGER PRIMARY KEY/);
    expect(plan).not.toMatch(/SCAN st/);
    expect(queryPlan('study', 'ModalitiesInStudy=MR,CT')).toMatch(
      /SEARCH sm USING COVERING INDEX series_modality \(modality=\? AND study_pk>\?\)/,
    );
  });

  it('ModalitiesInStudy beside a StudyDate range probes series_modality per study found by date', () => {
    const plan = queryPlan('study', 'StudyDate=20240101-20240301&ModalitiesInStudy=MR');
    expect(plan).toMatch(/SEARCH st USING COVERING INDEX studies_date/);
    expect(plan).toMatch(/SEARCH sm .*USING COVERING INDEX series_modality \(modality=\? AND study_pk=\?\)/);
  });

  it('StudyID, a ReferringPhysicianName prefix and an unscoped SOPClassUID use their indexes', () => {
    expect(queryPlan('study', 'StudyID=S1')).toMatch(
      /USING COVERING INDEX studies_study_id \(study_id=\? AND rowid>\?\)/,
    );
    expect(queryPlan('study', 'ReferringPhysicianName=smith*')).toMatch(
      /USING COVERING INDEX studies_referring \(referring_norm>\? AND referring_norm<\?\)/,
    );
    expect(queryPlan('instance', 'SOPClassUID=1.2.3')).toMatch(
      /USING (COVERING )?INDEX instances_sop_class \(sop_class_uid=\? AND rowid>\?\)/,
    );
  });

  it('scoped searches start from the study or series UID', () => {
    expect(queryPlan('instance', '', { studyUid: '1.2', seriesUid: '1.2.3' })).toMatch(
      /SEARCH s USING INDEX sqlite_autoindex_series_1 \(series_uid=\?\)/,
    );
    expect(queryPlan('series', '', { studyUid: '1.2' })).toMatch(
      /SEARCH st USING (COVERING )?INDEX sqlite_autoindex_studies_1 \(study_uid=\?\)/,
    );
  });
});

describe('query values never become SQL', () => {
  it('binds every value: quotes and SQL in values are just text that matches nothing', async () => {
    const hostile = ["x' OR '1'='1", 'x"; DROP TABLE studies; --', "') OR 1=1 --"];
    for (const value of hostile) {
      for (const key of ['PatientID', 'PatientName', 'StudyDescription', 'PatientAge', 'StudyInstanceUID']) {
        const { statement } = compileSearch({ level: 'study', query: new URLSearchParams({ [key]: value }) }, 100);
        expect(statement.sql).not.toContain(value);
        expect((await search('study', new URLSearchParams({ [key]: value }).toString())).body).toEqual([]);
      }
    }
    expect((await search('study')).body).toHaveLength(4);
  });

  it('reuses one prepared statement for the same query shape', () => {
    const a = compileSearch({ level: 'study', query: new URLSearchParams('PatientID=A') }, 100);
    const b = compileSearch({ level: 'study', query: new URLSearchParams('PatientID=B&limit=5') }, 100);
    expect(a.statement.sql).toBe(b.statement.sql);
  });
});
