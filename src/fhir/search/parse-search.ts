import type { SearchParamDef, SearchParamRegistry } from '../definitions/search-params.js';
import { badRequest } from '../../core/errors.js';
import { dateValue, numberValue, referenceValue, splitEscaped, tokenValue } from './search-values.js';
import type { Condition, IncludeRule, SearchRequest, SortRule } from './search-request.js';

export interface SearchLimits {
  defaultCount: number;
  maxCount: number;
  baseUrl: string;
}

/** Parameters about the result rather than the match; handled here or by the router. */
const RESULT_PARAMS = new Set([
  '_sort',
  '_count',
  '_offset',
  '_include',
  '_revinclude',
  '_summary',
  '_elements',
  '_total',
  '_format',
  '_pretty',
]);

export interface ParsedSearch {
  request: SearchRequest;
  summaryCount: boolean;
  elements?: string[];
}

/** The query of a search as a SearchRequest; anything unknown or unsupported is a 400 naming it. */
export function parseSearch(
  registry: SearchParamRegistry,
  resourceType: string,
  query: URLSearchParams,
  limits: SearchLimits,
): ParsedSearch {
  const conditions: Condition[] = [];
  for (const [key, value] of query) {
    if (RESULT_PARAMS.has(key)) continue;
    conditions.push(parseCondition(registry, resourceType, key, value, limits.baseUrl));
  }
  const summary = query.get('_summary');
  if (summary !== null && summary !== 'count' && summary !== 'false')
    throw badRequest(`_summary=${summary} is not supported (only count and false)`, '_summary');
  const countText = query.get('_count');
  const count = countText === null ? limits.defaultCount : Math.min(nonNegative(countText, '_count'), limits.maxCount);
  const total = query.get('_total');
  if (total !== null && !['none', 'estimate', 'accurate'].includes(total))
    throw badRequest(`_total=${total} is not none, estimate or accurate`, '_total');
  const summaryCount = summary === 'count';
  const request: SearchRequest = {
    resourceType,
    conditions,
    sort: parseSort(registry, resourceType, query.getAll('_sort')),
    count: summaryCount ? 0 : count,
    offset: query.has('_offset') ? nonNegative(query.get('_offset')!, '_offset') : 0,
    total: summaryCount || total !== 'none',
    include: query.getAll('_include').map((v) => includeRule(registry, v, '_include', resourceType)),
    revinclude: query.getAll('_revinclude').map((v) => includeRule(registry, v, '_revinclude')),
  };
  const elements = query
    .get('_elements')
    ?.split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  return { request, summaryCount, elements };
}

function nonNegative(text: string, name: string): number {
  if (!/^\d{1,9}$/.test(text)) throw badRequest(`${name}=${text} is not a non-negative integer`, name);
  return Number(text);
}

function param(registry: SearchParamRegistry, resourceType: string, code: string): SearchParamDef {
  const def = registry.get(resourceType, code);
  if (!def) throw badRequest(`unknown or unsupported search parameter "${code}" for ${resourceType}`, code);
  return def;
}

export function parseCondition(
  registry: SearchParamRegistry,
  resourceType: string,
  key: string,
  value: string,
  baseUrl: string,
): Condition {
  const dot = key.indexOf('.');
  if (dot >= 0) return parseChain(registry, resourceType, key.slice(0, dot), key.slice(dot + 1), value, baseUrl);
  const [code, modifier, ...extra] = key.split(':');
  if (extra.length) throw badRequest(`"${key}" has more than one modifier`, key);
  if (code === '_has') throw badRequest('_has is not supported', key);
  const def = param(registry, resourceType, code);
  const values = splitEscaped(value, ',');
  if (modifier === 'missing') {
    if (value !== 'true' && value !== 'false') throw badRequest(`${key} must be true or false`, key);
    if (def.column) throw badRequest(`${key} is not supported`, key);
    return { kind: 'missing', param: def, missing: value === 'true' };
  }
  const badModifier = () => badRequest(`modifier :${modifier} is not supported on ${def.kind} parameter ${code}`, key);
  if (def.column === 'id') {
    if (modifier && modifier !== 'not') throw badModifier();
    return { kind: 'id', ids: values, not: modifier === 'not' };
  }
  if (def.column === 'lastUpdated') {
    if (modifier) throw badModifier();
    return { kind: 'lastUpdated', values: values.map((v) => dateValue(v, key)) };
  }
  switch (def.kind) {
    case 'token':
      if (modifier && modifier !== 'not') throw badModifier();
      return { kind: 'token', param: def, not: modifier === 'not', values: values.map(tokenValue) };
    case 'string':
      if (modifier && modifier !== 'exact' && modifier !== 'contains') throw badModifier();
      return { kind: 'string', param: def, mode: (modifier as 'exact' | 'contains' | undefined) ?? 'prefix', values };
    case 'date':
      if (modifier) throw badModifier();
      return { kind: 'date', param: def, values: values.map((v) => dateValue(v, key)) };
    case 'number':
    case 'quantity':
      if (modifier) throw badModifier();
      return { kind: 'number', param: def, values: values.map((v) => numberValue(v, key, def.kind === 'quantity')) };
    case 'uri':
      if (modifier && modifier !== 'below') throw badModifier();
      return { kind: 'uri', param: def, below: modifier === 'below', values };
    case 'reference':
      if (modifier && !registry.isResourceType(modifier)) throw badModifier();
      return {
        kind: 'reference',
        param: def,
        values: values.map((v) => referenceValue(v, modifier, def.targets, baseUrl)),
      };
  }
}

/** `subject:Patient.identifier=x` — one level only. */
function parseChain(
  registry: SearchParamRegistry,
  resourceType: string,
  head: string,
  rest: string,
  value: string,
  baseUrl: string,
): Condition {
  if (rest.includes('.'))
    throw badRequest(`"${head}.${rest}": only one level of chaining is supported`, `${head}.${rest}`);
  const [code, typeModifier, ...extra] = head.split(':');
  const def = param(registry, resourceType, code);
  if (def.kind !== 'reference' || extra.length) throw badRequest(`"${head}" cannot be chained`, head);
  const chainedCode = rest.split(':')[0];
  const candidates = typeModifier ? [typeModifier] : def.targets;
  const targets = candidates
    .filter((type) => registry.get(type, chainedCode))
    .map((type) => ({ type, condition: parseCondition(registry, type, rest, value, baseUrl) }));
  if (targets.length === 0)
    throw badRequest(`no target of ${resourceType}.${code} has a search parameter "${chainedCode}"`, `${head}.${rest}`);
  return { kind: 'chain', param: def, targets };
}

function parseSort(registry: SearchParamRegistry, resourceType: string, values: string[]): SortRule[] {
  return values
    .flatMap((v) => v.split(','))
    .filter(Boolean)
    .map((s) => {
      const descending = s.startsWith('-');
      return { param: param(registry, resourceType, descending ? s.slice(1) : s), descending };
    });
}

function includeRule(registry: SearchParamRegistry, value: string, name: string, sourceType?: string): IncludeRule {
  const [source, code, target, ...extra] = value.split(':');
  if (!source || !code || extra.length || code === '*')
    throw badRequest(`${name}=${value}: expected Type:param[:TargetType]`, name);
  if (sourceType && source !== sourceType)
    throw badRequest(`${name}=${value}: the source type must be ${sourceType}`, name);
  const def = param(registry, source, code);
  if (def.kind !== 'reference') throw badRequest(`${name}=${value}: ${code} is not a reference parameter`, name);
  if (target && !registry.isResourceType(target)) throw badRequest(`${name}=${value}: unknown type ${target}`, name);
  return { param: def, targetType: target };
}
