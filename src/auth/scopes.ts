/**
 * SMART on FHIR scopes (App Launch 2.x, v1 and v2 forms) as data, and what a set of them
 * grants. Pure: no FHIR definitions, no I/O. What a grant means for one resource (patient
 * compartment, query suffix) is decided in src/fhir/access/scope-access.ts.
 */

/** SMART v2 permissions, in their required order. */
export type Interaction = 'c' | 'r' | 'u' | 'd' | 's';
export const INTERACTIONS: readonly Interaction[] = ['c', 'r', 'u', 'd', 's'];

export type ScopeContext = 'patient' | 'user' | 'system';

/** A v2 query suffix: `category=…|laboratory` restricts the scope to resources matching it. */
export interface QuerySuffix {
  /** As written after `?`. */
  readonly text: string;
  /** The decoded parameters; a resource must match every one (AND). */
  readonly params: readonly (readonly [string, string])[];
}

export interface ParsedScope {
  readonly text: string;
  readonly context: ScopeContext;
  /** A resource type, or `*`. */
  readonly resourceType: string;
  /** In the order c r u d s. */
  readonly interactions: readonly Interaction[];
  readonly suffix?: QuerySuffix;
  readonly version: 1 | 2;
}

/** One way a request is granted: restricted to the patient's compartment and/or to a query suffix. */
export interface Grant {
  readonly compartment?: 'patient';
  readonly suffix?: QuerySuffix;
}

export interface AccessRequest {
  /** A resource type, or `*` for "every type at once" (system history): only `*` scopes cover it. */
  resourceType: string;
  interaction: Interaction;
}

export interface Permission {
  allowed: boolean;
  /** No compartment and no suffix restrict it. */
  unrestricted: boolean;
  /**
   * Exact: the caller may access what one of these allows (OR). Empty when not allowed;
   * `[{}]` when unrestricted. Grants subsumed by another are left out.
   */
  grants: readonly Grant[];
  /**
   * A summary that is never wider than `grants` (exact when there is one grant): the suffixes,
   * one of which must match, and `patient` when some grant is compartment-bound.
   */
  constraints: readonly QuerySuffix[];
  compartment?: 'patient';
}

const V1: ReadonlyMap<string, readonly Interaction[]> = new Map([
  ['read', ['r', 's']],
  ['write', ['c', 'u', 'd']],
  ['*', INTERACTIONS],
]);
const SCOPE_RE = /^(patient|user|system)\/(\*|[A-Z][A-Za-z]*)\.([a-z*]+)(?:\?(.*))?$/;
const V2_RE = /^c?r?u?d?s?$/;

/**
 * One scope, or undefined when it is not a resource scope (`openid`, `fhirUser`, `launch/patient`,
 * `offline_access`) or is malformed (e.g. `.rc`: v2 permissions out of order; a v1 form with a suffix).
 */
export function parseScope(text: string): ParsedScope | undefined {
  const m = SCOPE_RE.exec(text);
  if (!m) return undefined;
  const [, context, resourceType, perms, query] = m;
  let interactions: readonly Interaction[];
  let version: 1 | 2;
  const v1 = V1.get(perms);
  if (v1) {
    if (query !== undefined) return undefined;
    interactions = v1;
    version = 1;
  } else if (V2_RE.test(perms) && perms !== '') {
    interactions = INTERACTIONS.filter((i) => perms.includes(i));
    version = 2;
  } else return undefined;
  const scope: ParsedScope = { text, context: context as ScopeContext, resourceType, interactions, version };
  if (query === undefined) return scope;
  const suffix = parseSuffix(query);
  return suffix ? { ...scope, suffix } : undefined;
}

function parseSuffix(query: string): QuerySuffix | undefined {
  const params: [string, string][] = [];
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    if (eq <= 0 || eq === pair.length - 1) return undefined;
    const name = decode(pair.slice(0, eq));
    const value = decode(pair.slice(eq + 1));
    if (name === undefined || value === undefined) return undefined;
    params.push([name, value]);
  }
  return { text: query, params };
}

function decode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/** The resource scopes of a space-separated scope string; everything else is ignored. */
export function parseScopes(text: string): ParsedScope[] {
  const out: ParsedScope[] = [];
  for (const word of text.split(/\s+/)) {
    if (!word) continue;
    const scope = parseScope(word);
    if (scope) out.push(scope);
  }
  return out;
}

const DENIED: Permission = Object.freeze({ allowed: false, unrestricted: false, grants: [], constraints: [] });
const UNRESTRICTED: Permission = Object.freeze({ allowed: true, unrestricted: true, grants: [{}], constraints: [] });

/**
 * What `scopes` grant for one type and interaction: the union of every scope that covers it. A
 * `patient/` scope covers nothing without a patient in context (`context.patient`).
 */
export function permits(
  scopes: readonly ParsedScope[],
  request: AccessRequest,
  context: { patient?: string } = {},
): Permission {
  const grants: Grant[] = [];
  for (const s of scopes) {
    if (s.resourceType !== '*' && s.resourceType !== request.resourceType) continue;
    if (!s.interactions.includes(request.interaction)) continue;
    if (s.context === 'patient' && !context.patient) continue;
    const grant: Grant = {
      ...(s.context === 'patient' ? { compartment: 'patient' as const } : {}),
      ...(s.suffix ? { suffix: s.suffix } : {}),
    };
    if (!grant.compartment && !grant.suffix) return UNRESTRICTED;
    grants.push(grant);
  }
  if (grants.length === 0) return DENIED;
  const kept = grants.filter(
    (g, i) => !grants.some((other, j) => j !== i && subsumes(other, g) && (!subsumes(g, other) || j < i)),
  );
  const suffixes = kept.flatMap((g) => (g.suffix ? [g.suffix] : []));
  return {
    allowed: true,
    unrestricted: false,
    grants: kept,
    constraints: suffixes.length === kept.length ? suffixes : [],
    ...(kept.some((g) => g.compartment) ? { compartment: 'patient' as const } : {}),
  };
}

/** Does `a` allow everything `b` allows? (A suffix with fewer parameters is wider.) */
function subsumes(a: Grant, b: Grant): boolean {
  if (a.compartment && !b.compartment) return false;
  if (!a.suffix) return true;
  if (!b.suffix) return false;
  return a.suffix.params.every(([k, v]) => b.suffix!.params.some(([k2, v2]) => k === k2 && v === v2));
}

/** For messages: which scope would allow this, e.g. `Observation.s (user/Observation.s or system/…)`. */
export function neededScope(request: AccessRequest): string {
  const what = `${request.resourceType}.${request.interaction}`;
  return `a scope granting ${what} (e.g. user/${what}, system/${what} or patient/${what} with a patient in context)`;
}
