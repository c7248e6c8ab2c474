import { isSeriesLevelTag, isStudyLevelTag } from '../levels.js';
import { LEVEL_DEPTH, type QidoLevel } from './types.js';

/** The stored DICOM JSON of each level: studies.json, series.json, instances.metadata. */
export type JsonSource = QidoLevel;

export const SOURCE_COLUMN: Record<JsonSource, string> = { study: 'st.json', series: 's.json', instance: 'i.metadata' };
export const SOURCE_ALIAS: Record<JsonSource, string> = {
  study: 'j_study',
  series: 'j_series',
  instance: 'j_instance',
};

/** Which stored JSON holds `tag` for a search at `level`; undefined when the level cannot see it. */
export function sourceOf(tag: string, level: QidoLevel): JsonSource | undefined {
  if (isStudyLevelTag(tag)) return 'study';
  if (isSeriesLevelTag(tag)) return LEVEL_DEPTH[level] >= LEVEL_DEPTH.series ? 'series' : undefined;
  return level === 'instance' ? 'instance' : undefined;
}

/** The sources visible at a level, outermost first. */
export function sourcesAt(level: QidoLevel): JsonSource[] {
  return (['study', 'series', 'instance'] as const).filter((s) => LEVEL_DEPTH[s] <= LEVEL_DEPTH[level]);
}
