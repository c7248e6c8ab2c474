/** The stored DICOM JSON of a study's visible instances (rejected ones are not in `instances`), read from the archive index. */
import type { Database } from 'better-sqlite3';
import { preparedOnce } from '../../core/sqlite-statements.js';
import { renderMetadata } from '../../archive/metadata-text.js';
import type { DicomJson } from '../../dicom/types.js';

export interface StudyInstance {
  json: DicomJson;
  /** AE title or channel it came through (`STOW-RS`, `import`). */
  source: string;
}

export function loadStudyInstances(db: Database, studyUid: string): StudyInstance[] {
  const rows = preparedOnce(
    db,
    `SELECT i.metadata, i.source FROM instances i JOIN series s ON s.pk = i.series_pk JOIN studies st ON st.pk = s.study_pk
       WHERE st.study_uid = ? ORDER BY i.pk`,
  ).all(studyUid) as { metadata: string; source: string }[];
  // Bulk data URIs stay relative: the mapping never reads bulk data.
  return rows.map((r) => ({ json: JSON.parse(renderMetadata(r.metadata, '')) as DicomJson, source: r.source }));
}
