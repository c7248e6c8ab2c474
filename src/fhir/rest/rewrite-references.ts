import { isObject } from '../types.js';

/** A copy of `value` whose Reference.reference values that are placeholders (urn:uuid:…) point to the reserved Type/id. */
export function rewriteReferences<T>(value: T, placeholders: Map<string, string>): T {
  if (placeholders.size === 0) return value;
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (!isObject(node)) return node;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) {
      out[k] = k === 'reference' && typeof v === 'string' && placeholders.has(v) ? placeholders.get(v) : walk(v);
    }
    return out;
  };
  return walk(value) as T;
}
