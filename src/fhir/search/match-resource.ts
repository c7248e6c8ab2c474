import type { SearchParamRegistry } from '../definitions/search-params.js';
import { OperationOutcomeError } from '../../core/errors.js';
import type { FhirResource } from '../types.js';
import { valuesOf, type IndexValue } from './index-values.js';
import { normalizeString } from './normalize.js';
import { parseCondition } from './parse-search.js';
import type { Condition, TokenValue } from './search-request.js';

/**
 * Does `resource` match every one of `params` (as a search would), judged in memory from the
 * same extracted values the index holds? `undefined` when some parameter cannot be judged here
 * (dates, numbers, quantities, chains, _lastUpdated): ask the index instead. A parameter the
 * type does not have matches nothing.
 */
export function matchesParams(
  registry: SearchParamRegistry,
  resource: FhirResource,
  params: readonly (readonly [string, string])[],
  baseUrl: string,
): boolean | undefined {
  let undecided = false;
  for (const [key, value] of params) {
    let condition: Condition;
    try {
      condition = parseCondition(registry, resource.resourceType, key, value, baseUrl);
    } catch (e) {
      if (e instanceof OperationOutcomeError) return false;
      throw e;
    }
    const result = matchesCondition(condition, resource, baseUrl);
    if (result === false) return false;
    if (result === undefined) undecided = true;
  }
  return undecided ? undefined : true;
}

function matchesCondition(c: Condition, resource: FhirResource, baseUrl: string): boolean | undefined {
  if (c.kind === 'id') return c.ids.includes(resource.id ?? '') !== c.not;
  if (c.kind === 'lastUpdated' || c.kind === 'chain' || c.kind === 'any' || c.kind === 'date' || c.kind === 'number')
    return undefined;
  const values = (c.param.extract?.(resource) ?? []).flatMap((typed) => valuesOf(c.param.kind, typed, baseUrl));
  switch (c.kind) {
    case 'missing':
      return (values.length === 0) === c.missing;
    case 'token': {
      const hit = values.some((v) => v.kind === 'token' && c.values.some((t) => tokenMatches(t, v)));
      return hit !== c.not;
    }
    case 'string':
      return values.some((v) => v.kind === 'string' && c.values.some((s) => stringMatches(c.mode, s, v)));
    case 'uri':
      return values.some(
        (v) => v.kind === 'uri' && c.values.some((u) => (c.below ? v.value.startsWith(u) : v.value === u)),
      );
    case 'reference':
      return values.some(
        (v) =>
          v.kind === 'reference' &&
          c.values.some((r) =>
            r.url !== undefined
              ? v.url === r.url
              : v.targetId === r.id && (!r.targetType || v.targetType === r.targetType),
          ),
      );
  }
}

function tokenMatches(t: TokenValue, v: Extract<IndexValue, { kind: 'token' }>): boolean {
  if (t.code !== undefined && v.code !== t.code) return false;
  if (t.system === null) return v.system === null;
  return t.system === undefined || v.system === t.system;
}

function stringMatches(
  mode: 'prefix' | 'exact' | 'contains',
  s: string,
  v: Extract<IndexValue, { kind: 'string' }>,
): boolean {
  if (mode === 'exact') return v.exact === s;
  const norm = normalizeString(s);
  return mode === 'contains' ? v.norm.includes(norm) : v.norm.startsWith(norm);
}
