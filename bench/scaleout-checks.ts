/**
 * SCALEOUT's result checks, pure: what a view of the archive (QIDO-RS through one process, or the
 * FHIR ImagingStudies) lists against what was acknowledged, and whether the bridge wrote any
 * ImagingStudy twice with the same content (two processes repeating each other's sync).
 */

/** One study as a view lists it: its Study Instance UID and its instance count there. */
export interface ListedStudy {
  study: string;
  instances: number;
}

/** Instances per study of the acknowledged files (e.g. manifest entries). */
export function instancesByStudy(acked: readonly { studyUid: string }[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const a of acked) out.set(a.studyUid, (out.get(a.studyUid) ?? 0) + 1);
  return out;
}

/**
 * Every acknowledged study listed exactly once with all its acknowledged instances, and nothing
 * else listed. Returns the problems (empty = the view matches); at most `limit` examples each.
 */
export function compareStudies(
  what: string,
  expected: ReadonlyMap<string, number>,
  listed: readonly ListedStudy[],
  limit = 5,
): string[] {
  const seen = new Map<string, number[]>();
  for (const l of listed) seen.set(l.study, [...(seen.get(l.study) ?? []), l.instances]);
  const missing: string[] = [];
  const repeated: string[] = [];
  const wrong: string[] = [];
  const unexpected: string[] = [];
  for (const [study, count] of expected) {
    const found = seen.get(study);
    if (found === undefined) missing.push(study);
    else if (found.length > 1) repeated.push(`${study} ×${found.length}`);
    else if (found[0] !== count) wrong.push(`${study} ${found[0]}/${count}`);
  }
  for (const study of seen.keys()) if (!expected.has(study)) unexpected.push(study);
  const problem = (list: string[], text: string): string[] =>
    list.length
      ? [`${what}: ${list.length} ${text} (${list.slice(0, limit).join(', ')}${list.length > limit ? ', …' : ''})`]
      : [];
  return [
    ...problem(missing, 'acknowledged studies missing'),
    ...problem(repeated, 'studies listed more than once'),
    ...problem(wrong, 'studies with other than the acknowledged instance count (listed/acknowledged)'),
    ...problem(unexpected, 'studies listed that were not sent'),
  ];
}

/** One stored version of an ImagingStudy: its resource id, version and numberOfInstances (null: a delete). */
export interface StudyVersion {
  id: string;
  version: number;
  instances: number | null;
}

/**
 * ImagingStudies written again without more instances than their previous version: a sync
 * repeated (by a second process, or a pass that lost its claim). Returns their ids.
 */
export function repeatedWrites(versions: readonly StudyVersion[]): string[] {
  const byId = new Map<string, StudyVersion[]>();
  for (const v of versions) byId.set(v.id, [...(byId.get(v.id) ?? []), v]);
  const out: string[] = [];
  for (const [id, list] of byId) {
    const sorted = [...list].sort((a, b) => a.version - b.version);
    for (let i = 1; i < sorted.length; i++) {
      const before = sorted[i - 1]!.instances;
      const now = sorted[i]!.instances;
      if (before !== null && now !== null && now <= before) {
        out.push(id);
        break;
      }
    }
  }
  return out;
}

/**
 * Where two versions of a resource differ (meta left out): JSON paths such as `series[0].numberOfInstances`,
 * at most `depth` levels down (deeper differences are named by their ancestor at that depth), at most `limit`.
 */
export function changedPaths(before: unknown, after: unknown, depth = 3, limit = 8): string[] {
  const out: string[] = [];
  const walk = (a: unknown, b: unknown, path: string, level: number): void => {
    if (out.length >= limit || JSON.stringify(a) === JSON.stringify(b)) return;
    const container = (v: unknown) => typeof v === 'object' && v !== null;
    if (level >= depth || !container(a) || !container(b) || Array.isArray(a) !== Array.isArray(b)) {
      out.push(path || '(root)');
      return;
    }
    const keys = Array.isArray(a)
      ? Array.from({ length: Math.max(a.length, (b as unknown[]).length) }, (_, i) => i)
      : [...new Set([...Object.keys(a as object), ...Object.keys(b as object)])].filter(
          (k) => level > 0 || k !== 'meta',
        );
    for (const k of keys) {
      const child = typeof k === 'number' ? `${path}[${k}]` : path ? `${path}.${k}` : k;
      const pick = (v: unknown) =>
        typeof k === 'number'
          ? (v as unknown[])[k]
          : Object.hasOwn(v as object, k)
            ? (v as Record<string, unknown>)[k]
            : undefined;
      walk(pick(a), pick(b), child, level + 1);
    }
  };
  walk(before, after, '', 0);
  return out;
}
