/**
 * `user/` scopes act for a person, so they grant no more than that person's role allows: the
 * scopes of a token (ours or an external issuer's) are intersected with the table below for the
 * union of the principal's roles. A clinician who signs in to an app registered with
 * `user/*.cruds` reads and searches everything, writes orders and notes, and deletes nothing.
 * `patient/` and `system/` scopes are not affected (a patient token is bound to its patient;
 * system scopes are a registered client's own). A principal without a known role gets
 * NO_ROLE: read and search, and its own Subscriptions.
 */
import type { Principal, Role } from './principal.js';
import { parseScopes, type Interaction, type ParsedScope } from './scopes.js';

const READ_ALL = 'user/*.rs';
const SUBSCRIPTIONS = 'user/Subscription.cud';

/** Role → the most its `user/` scopes can grant (documented in docs/security.md). */
export const USER_SCOPES_BY_ROLE: ReadonlyMap<Role, readonly string[]> = new Map<Role, readonly string[]>([
  ['administrator', ['user/*.cruds']],
  ['data-steward', ['user/*.cruds']],
  [
    'radiologist',
    [
      READ_ALL,
      SUBSCRIPTIONS,
      'user/ImagingStudy.cu',
      'user/DiagnosticReport.cu',
      'user/Observation.cu',
      'user/DocumentReference.cu',
    ],
  ],
  [
    'clinician',
    [READ_ALL, SUBSCRIPTIONS, 'user/ServiceRequest.cu', 'user/Observation.cu', 'user/DocumentReference.cu'],
  ],
  ['ai-service', [READ_ALL, SUBSCRIPTIONS, 'user/Observation.c', 'user/DiagnosticReport.c']],
]);
export const NO_ROLE: readonly string[] = [READ_ALL, SUBSCRIPTIONS];

const parsedTable = new Map<string, ParsedScope[]>();

function ceilingOf(roles: readonly Role[]): ParsedScope[] {
  const key = [...roles].sort().join(' ');
  let ceiling = parsedTable.get(key);
  if (!ceiling) {
    const known = roles.filter((r) => USER_SCOPES_BY_ROLE.has(r));
    const texts = known.length === 0 ? NO_ROLE : known.flatMap((r) => USER_SCOPES_BY_ROLE.get(r)!);
    parsedTable.set(key, (ceiling = parseScopes(texts.join(' '))));
  }
  return ceiling;
}

/** The part of `s` that `limit` (no query suffix) also grants, or undefined. */
function intersect(s: ParsedScope, limit: ParsedScope): ParsedScope | undefined {
  if (s.resourceType !== '*' && limit.resourceType !== '*' && s.resourceType !== limit.resourceType) return undefined;
  const resourceType = s.resourceType === '*' ? limit.resourceType : s.resourceType;
  const interactions: Interaction[] = s.interactions.filter((i) => limit.interactions.includes(i));
  if (interactions.length === 0) return undefined;
  if (resourceType === s.resourceType && interactions.length === s.interactions.length) return s;
  const text = `user/${resourceType}.${interactions.join('')}${s.suffix ? `?${s.suffix.text}` : ''}`;
  return { text, context: 'user', resourceType, interactions, ...(s.suffix ? { suffix: s.suffix } : {}), version: 2 };
}

/** `scopes` with every `user/` scope cut down to what `roles` allow (exact: a union of intersections). */
export function limitUserScopes(scopes: readonly ParsedScope[], roles: Principal['roles']): ParsedScope[] {
  const out: ParsedScope[] = [];
  const seen = new Set<string>();
  const add = (s: ParsedScope) => {
    if (!seen.has(s.text)) {
      out.push(s);
      seen.add(s.text);
    }
  };
  for (const s of scopes) {
    if (s.context !== 'user') add(s);
    else
      for (const limit of ceilingOf(roles)) {
        const part = intersect(s, limit);
        if (part) add(part);
      }
  }
  return out;
}

/** The same for a scope string (the authorization server states what it grants): non-resource scopes are kept. */
export function limitUserScopeText(scope: readonly string[], roles: Principal['roles']): string[] {
  const out: string[] = [];
  for (const word of scope) {
    const [parsed] = parseScopes(word);
    if (parsed?.context !== 'user') out.push(word);
    else for (const part of limitUserScopes([parsed], roles)) if (!out.includes(part.text)) out.push(part.text);
  }
  return out;
}
