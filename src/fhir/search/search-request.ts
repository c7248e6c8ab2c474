import type { SearchParamDef } from '../definitions/search-params.js';
import type { DateRange } from './fhir-dates.js';

/** A search, parsed and checked against the SearchParameter definitions; storage compiles it. */
export interface SearchRequest {
  resourceType: string;
  /** All must hold (AND); each condition's values are alternatives (OR). */
  conditions: Condition[];
  sort: SortRule[];
  count: number;
  offset: number;
  /** Whether to count all matches (Bundle.total). */
  total: boolean;
  include: IncludeRule[];
  revinclude: IncludeRule[];
}

export type Prefix = 'eq' | 'ne' | 'gt' | 'lt' | 'ge' | 'le' | 'sa' | 'eb' | 'ap';

export interface SortRule {
  param: SearchParamDef;
  descending: boolean;
}

/** `_include=Source:param[:Target]` and `_revinclude=Source:param[:Target]`; `param` belongs to Source. */
export interface IncludeRule {
  param: SearchParamDef;
  targetType?: string;
}

export interface TokenValue {
  /** undefined: any system; null: no system (`|code`). */
  system?: string | null;
  /** undefined: any code (`system|`). */
  code?: string;
}

export interface DateValue {
  prefix: Prefix;
  range: DateRange;
}

export interface NumberValue {
  prefix: Prefix;
  value: number;
  /** The implicit range of the value's precision (`5.4` is [5.35, 5.45)). */
  low: number;
  high: number;
  system?: string;
  code?: string;
}

export interface ReferenceValue {
  targetType?: string;
  id?: string;
  /** A reference that is not local (another server, urn:, canonical). */
  url?: string;
}

export type Condition =
  | { kind: 'id'; ids: string[]; not: boolean }
  | { kind: 'lastUpdated'; values: DateValue[] }
  | { kind: 'missing'; param: SearchParamDef; missing: boolean }
  | { kind: 'token'; param: SearchParamDef; not: boolean; values: TokenValue[] }
  | { kind: 'string'; param: SearchParamDef; mode: 'prefix' | 'exact' | 'contains'; values: string[] }
  | { kind: 'date'; param: SearchParamDef; values: DateValue[] }
  | { kind: 'number'; param: SearchParamDef; values: NumberValue[] }
  | { kind: 'reference'; param: SearchParamDef; values: ReferenceValue[] }
  | { kind: 'uri'; param: SearchParamDef; below: boolean; values: string[] }
  /** `subject:Patient.identifier=x`: the reference points to a resource of a target type matching `condition`. */
  | { kind: 'chain'; param: SearchParamDef; targets: { type: string; condition: Condition }[] }
  /** One of the groups holds (OR), each group being conditions that all hold (AND): access restrictions (patient compartment, scope suffixes). */
  | { kind: 'any'; groups: Condition[][] };

/** Date comparison window for `ap` (10% of the distance to now, at least a day). */
export function approximately(range: DateRange, now: number): DateRange {
  const delta = Math.max(Math.abs(now - range.low) * 0.1, 86_400_000);
  return { low: range.low - delta, high: range.high + delta };
}
