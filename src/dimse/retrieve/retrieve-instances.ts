/**
 * C-MOVE / C-GET identifier → the stored instances it names (PS3.4 C.4.2.2.1: unique keys of
 * the level and above). Universal matching is refused: a retrieve never means "everything".
 */
import type { InstanceScope, StoredInstance } from '../../archive/types.js';
import type { DicomJson } from '../../dicom/index.js';
import { TAGS, matchValue, queryLevel } from '../find/find-plan.js';
import { allResults, type QueryOptions } from '../find/find-service.js';
import type { QueryModel } from '../sop-classes.js';
import { DimseError } from '../status.js';
import { DicomStatus } from '../../core/dicom-status.js';

export interface InstancePort {
  instances(scope: InstanceScope): Promise<StoredInstance[]>;
}

const KEY_OF_LEVEL = {
  PATIENT: TAGS.PatientID,
  STUDY: TAGS.StudyInstanceUID,
  SERIES: TAGS.SeriesInstanceUID,
  IMAGE: TAGS.SOPInstanceUID,
};

export async function retrieveInstances(
  identifier: DicomJson,
  model: QueryModel,
  query: QueryOptions,
  archive: InstancePort,
): Promise<StoredInstance[]> {
  const level = queryLevel(identifier, model);
  const keyTag = KEY_OF_LEVEL[level];
  const key = identifier[keyTag] ? matchValue(identifier[keyTag]!) : undefined;
  if (!key || /[*?]/.test(key)) {
    throw new DimseError(
      DicomStatus.IdentifierDoesNotMatchSopClass,
      `a ${level} retrieve needs a unique key (${keyTag}) without wildcards`,
    );
  }
  if (level === 'STUDY')
    return (await Promise.all(key.split('\\').map((studyUid) => archive.instances({ studyUid })))).flat();
  // Narrow by the higher-level unique keys the identifier carries, then list the matches' instances.
  const params = new URLSearchParams();
  for (const tag of [TAGS.PatientID, TAGS.StudyInstanceUID, TAGS.SeriesInstanceUID, TAGS.SOPInstanceUID]) {
    const v = identifier[tag] ? matchValue(identifier[tag]!) : undefined;
    if (v !== undefined) params.set(tag, v);
    if (tag === keyTag) break; // keys below the level are not part of a retrieve identifier
  }
  const qidoLevel = level === 'PATIENT' ? 'study' : level === 'SERIES' ? 'series' : 'instance';
  const out: StoredInstance[] = [];
  for await (const match of allResults(query, { level: qidoLevel, query: params })) {
    const scope: InstanceScope = { studyUid: uid(match, TAGS.StudyInstanceUID) };
    if (level === 'SERIES' || level === 'IMAGE') scope.seriesUid = uid(match, TAGS.SeriesInstanceUID);
    if (level === 'IMAGE') scope.sopUid = uid(match, TAGS.SOPInstanceUID);
    out.push(...(await archive.instances(scope)));
  }
  return out;
}

function uid(json: DicomJson, tag: string): string {
  return String(json[tag]?.Value?.[0] ?? '');
}
