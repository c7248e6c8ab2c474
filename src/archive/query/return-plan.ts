import { BINARY_VRS } from '../../dicom/vr.js';
import { INDEXED_ATTRIBUTES, indexedAttribute, type IndexedAttribute } from './indexed-attributes.js';
import { sourceOf, sourcesAt, type JsonSource } from './json-sources.js';
import type { ParsedQuery } from './query-params.js';
import { LEVEL_DEPTH, type QidoLevel } from './types.js';

/** What each result of a search carries, and which stored JSON must be read to build it. */
export interface ReturnPlan {
  level: QidoLevel;
  /** Attributes answered from columns: every indexed attribute of this level and above. */
  columns: IndexedAttribute[];
  /** Further attributes read from stored JSON, by source; 'all' for includefield=all. */
  stored: Map<JsonSource, Set<string> | 'all'>;
  /** VR of each further attribute, to return it empty when a result has no value. */
  vrOf: Map<string, string>;
}

const DEFAULTS: Record<QidoLevel, IndexedAttribute[]> = {
  study: INDEXED_ATTRIBUTES.filter((a) => a.level === 'study'),
  series: INDEXED_ATTRIBUTES.filter((a) => LEVEL_DEPTH[a.level] <= LEVEL_DEPTH.series),
  instance: [...INDEXED_ATTRIBUTES],
};

/**
 * Return keys = defaults + matching keys + includefield. An attribute the level cannot
 * see (includefield=Modality in a study search) is left out, as C-FIND leaves out
 * unsupported optional return keys; bulk data is never returned by QIDO-RS.
 */
export function planReturn(level: QidoLevel, query: ParsedQuery): ReturnPlan {
  const stored = new Map<JsonSource, Set<string> | 'all'>();
  const vrOf = new Map<string, string>();
  if (query.includeAll) for (const source of sourcesAt(level)) stored.set(source, 'all');
  for (const attr of [...query.includeFields, ...query.keys.map((k) => k.attr)]) {
    if (indexedAttribute(attr.tag) || BINARY_VRS.has(attr.vr)) continue;
    const source = sourceOf(attr.tag, level);
    if (!source) continue;
    const tags = stored.get(source) ?? new Set<string>();
    if (tags === 'all') continue;
    tags.add(attr.tag);
    stored.set(source, tags);
    vrOf.set(attr.tag, attr.vr);
  }
  return { level, columns: DEFAULTS[level], stored, vrOf };
}
