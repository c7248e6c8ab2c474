/**
 * SMART scope arithmetic for the authorization server: which requested scopes a client's
 * registration covers. A requested scope is granted only when one registered scope covers it
 * entirely (same context, same or wildcard type, a superset of permissions, the same or no query);
 * nothing is widened and nothing is rewritten, so the granted scope is always a subset of the
 * requested one (RFC 6749 §3.3: the server may grant less and says so in `scope`).
 */

export interface SmartScope {
  context: 'patient' | 'user' | 'system';
  /** A resource type or `*`. */
  type: string;
  /** Permissions in canonical order, a subset of `cruds`. */
  permissions: string;
  /** The v2 query suffix without `?` (`category=laboratory`), or ''. */
  query: string;
}

const SCOPE = /^(patient|user|system)\/(\*|[A-Z][A-Za-z]+)\.(read|write|\*|c?r?u?d?s?)(?:\?(.+))?$/;
const V1: ReadonlyMap<string, string> = new Map([
  ['read', 'rs'],
  ['write', 'cud'],
  ['*', 'cruds'],
]);

/** Parses a SMART v1 or v2 resource scope; undefined for anything else (openid, launch/patient, …). */
export function parseSmartScope(text: string): SmartScope | undefined {
  const m = SCOPE.exec(text);
  if (!m || m[3] === '') return undefined;
  const v1 = V1.get(m[3]);
  const permissions = v1 ?? m[3];
  if (m[4] !== undefined && v1 !== undefined) return undefined; // query suffixes are v2 only
  return { context: m[1] as SmartScope['context'], type: m[2], permissions, query: m[4] ?? '' };
}

/** Whether `granted` allows everything `requested` asks for. */
export function covers(granted: SmartScope, requested: SmartScope): boolean {
  if (granted.context !== requested.context) return false;
  if (granted.type !== '*' && granted.type !== requested.type) return false;
  if (![...requested.permissions].every((p) => granted.permissions.includes(p))) return false;
  return granted.query === '' || sameQuery(granted.query, requested.query);
}

/**
 * The requested scopes a registration allows, in request order. Non-resource scopes (`openid`,
 * `fhirUser`, `launch/patient`, `offline_access`) are granted when registered verbatim.
 */
export function grantableScopes(requested: readonly string[], registered: readonly string[]): string[] {
  const parsed = registered.map(parseSmartScope).filter((s): s is SmartScope => s !== undefined);
  const verbatim = new Set(registered);
  const out: string[] = [];
  for (const scope of requested) {
    if (out.includes(scope)) continue;
    const wanted = parseSmartScope(scope);
    if (wanted ? parsed.some((g) => covers(g, wanted)) : verbatim.has(scope)) out.push(scope);
  }
  return out;
}

/** Splits a space-separated scope string, dropping empty parts. */
export function splitScope(scope: string | undefined): string[] {
  return (scope ?? '').split(' ').filter((s) => s !== '');
}

function sameQuery(a: string, b: string): boolean {
  const norm = (q: string) =>
    [...new URLSearchParams(q)]
      .map(([k, v]) => `${k}=${v}`)
      .sort()
      .join('&');
  return norm(a) === norm(b);
}
