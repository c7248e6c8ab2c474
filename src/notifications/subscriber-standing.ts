/**
 * The subscriber's authority as it stands at each delivery, not as it stood when the
 * Subscription was written.
 *
 * - Tokens of our own authorization server: the client must still be registered, and the scopes
 *   stamped on the Subscription count only as far as the client's current registration still
 *   grants them (each cut to the types and permissions a registered scope allows). A user behind
 *   the token must still exist. `imaging-bridge clients remove`, or a registration with fewer scopes, takes effect at
 *   the next delivery.
 * - Tokens of an external identity provider: the server cannot ask the provider whether a client
 *   or user still exists or what it may do now; the only current statement it has is a token.
 *   So the Subscription acts on the authority of the token that last wrote it, until that
 *   token's `exp`, and only while its issuer is still trusted (security.externalIssuers). To keep
 *   receiving, the subscriber updates its Subscription (PUT) with a fresh token before then.
 * In every case the caller must still be allowed to read Subscriptions.
 */
import type { AccessPolicy } from '../fhir/access/access-policy.js';
import { permitsAll, policyFor, type PolicyOptions } from '../fhir/access/scope-access.js';
import type { FhirResource } from '../fhir/types.js';
import { parseSmartScope, splitScope, type SmartScope } from '../security/oauth/smart-scopes.js';
import type { Principal } from '../auth/principal.js';
import { subscriberOf, type Subscriber } from './subscriber.js';

export interface Authorities {
  /** Our own issuer (`${publicUrl}/oauth`). */
  ownIssuer: string;
  /** The scope a client is registered with now, or undefined when it is not registered. */
  registeredScope(clientId: string): string | undefined;
  /** Whether a user of our own login still exists. */
  userExists(username: string): boolean;
  /** External issuers trusted now. */
  trustedIssuers: ReadonlySet<string>;
  now(): number;
}

export type Standing = { principal: Principal } | { refused: string };

/** Where current registrations are looked up: asynchronous, the security store may be in PostgreSQL. */
export interface Directory {
  registeredScope(clientId: string): Promise<string | undefined>;
  userExists(username: string): Promise<boolean>;
}

/**
 * Authorities for one Subscription: looks up only its subscriber's client and user in the
 * directory, so that standingOf can decide synchronously on current data.
 */
export async function authoritiesFor(
  subscription: FhirResource,
  directory: Directory,
  rest: Omit<Authorities, 'registeredScope' | 'userExists'>,
): Promise<Authorities> {
  const who = subscriberOf(subscription);
  const scope = who?.clientId ? await directory.registeredScope(who.clientId) : undefined;
  const exists = who?.subject ? await directory.userExists(who.subject) : false;
  return {
    ...rest,
    registeredScope: (clientId) => (clientId === who?.clientId ? scope : undefined),
    userExists: (username) => username === who?.subject && exists,
  };
}

/** What a Subscription's subscriber may see now (its current registration or token), or why nothing. */
export function subscriberPolicy(
  subscription: FhirResource,
  authorities: Authorities,
  options: PolicyOptions,
): AccessPolicy | { refused: string } {
  const standing = standingOf(subscriberOf(subscription), authorities);
  return 'refused' in standing ? standing : policyFor(standing.principal, options);
}

export function standingOf(who: Subscriber | undefined, a: Authorities): Standing {
  if (!who) return { refused: 'no subscriber is recorded on the Subscription (it was not written with a token)' };
  const base = {
    roles: [] as const,
    ...(who.patient ? { patient: who.patient } : {}),
    ...(who.issuer ? { issuer: who.issuer } : {}),
    ...(who.subject ? { subject: who.subject } : {}),
  };
  let principal: Principal;
  // A stamp without an issuer predates issuers on stamps: it counts only as one of our clients.
  if (who.issuer === a.ownIssuer || who.issuer === undefined) {
    if (!who.clientId) return { refused: 'the subscriber is not an OAuth client of this server' };
    const registered = a.registeredScope(who.clientId);
    if (registered === undefined) return { refused: `the subscribing client ${who.clientId} is no longer registered` };
    const isUser = who.subject !== undefined && who.subject !== who.clientId;
    if (isUser && !a.userExists(who.subject!)) return { refused: 'the subscribing user no longer exists' };
    const scope = withinRegistration(splitScope(who.scope), splitScope(registered)).join(' ');
    principal = { ...base, kind: isUser ? 'user' : 'client', clientId: who.clientId, scope };
  } else if (who.issuer !== undefined && a.trustedIssuers.has(who.issuer)) {
    if (who.expiresAt === undefined || who.expiresAt * 1000 <= a.now()) {
      const at = who.expiresAt === undefined ? '' : ` at ${new Date(who.expiresAt * 1000).toISOString()}`;
      return {
        refused: `the token the Subscription was written with expired${at}: update the Subscription with a current token to resume`,
      };
    }
    principal = { ...base, kind: 'client', ...(who.clientId ? { clientId: who.clientId } : {}), scope: who.scope };
  } else {
    return { refused: "the issuer of the subscriber's token is no longer trusted" };
  }
  if (!permitsAll(principal, 'Subscription', 'r'))
    return { refused: 'the subscriber may no longer read Subscriptions (Subscription.r)' };
  return { principal };
}

/**
 * The stamped scopes cut to what the registration allows: per registered scope of the same
 * context, the narrower type and the common permissions (`system/*.cruds` under a registration
 * `system/Patient.rs` is `system/Patient.rs`). Query suffixes are kept only when one side has none
 * or both are the same text. Non-resource scopes are kept when registered verbatim.
 */
export function withinRegistration(stamped: readonly string[], registered: readonly string[]): string[] {
  const grants = registered.map(parseSmartScope).filter((g): g is SmartScope => g !== undefined);
  const out = new Set<string>();
  for (const text of stamped) {
    const s = parseSmartScope(text);
    if (!s) {
      if (registered.includes(text)) out.add(text);
      continue;
    }
    for (const g of grants) {
      if (g.context !== s.context) continue;
      const type = s.type === '*' ? g.type : g.type === '*' || g.type === s.type ? s.type : undefined;
      const query = g.query === '' ? s.query : s.query === '' || s.query === g.query ? g.query : undefined;
      const permissions = [...'cruds'].filter((p) => s.permissions.includes(p) && g.permissions.includes(p)).join('');
      if (type !== undefined && query !== undefined && permissions)
        out.add(`${s.context}/${type}.${permissions}${query ? `?${query}` : ''}`);
    }
  }
  return [...out];
}
