/**
 * The subscriber's authority as it stands at each delivery, not as it stood when the
 * Subscription was written.
 *
 * - Tokens of our own authorization server: the client must still be registered, and the scopes
 *   stamped on the Subscription count only as far as the client's current registration still
 *   grants them (what the token endpoint would grant now). A user behind the token must still
 *   exist. `imaging-bridge clients remove`, or a registration with fewer scopes, takes effect at
 *   the next delivery.
 * - Tokens of an external identity provider: the server cannot ask the provider whether a client
 *   or user still exists or what it may do now; the only current statement it has is a token.
 *   So the Subscription acts on the authority of the token that last wrote it, until that
 *   token's `exp`, and only while its issuer is still trusted (security.externalIssuers). To keep
 *   receiving, the subscriber updates its Subscription (PUT) with a fresh token before then.
 * In every case the caller must still be allowed to read Subscriptions.
 */
import { permitsAll } from '../security/access-policy.js';
import { grantableScopes, splitScope } from '../security/oauth/smart-scopes.js';
import type { Principal } from '../security/principal.js';
import type { Subscriber } from './subscriber.js';

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

export function standingOf(who: Subscriber | undefined, a: Authorities): Standing {
  if (!who) return { refused: 'no subscriber is recorded on the Subscription (it was not written with a token)' };
  const base = { roles: [] as const, ...(who.patient ? { patient: who.patient } : {}), ...(who.issuer ? { issuer: who.issuer } : {}), ...(who.subject ? { subject: who.subject } : {}) };
  let principal: Principal;
  // A stamp without an issuer predates issuers on stamps: it counts only as one of our clients.
  if (who.issuer === a.ownIssuer || who.issuer === undefined) {
    if (!who.clientId) return { refused: 'the subscriber is not an OAuth client of this server' };
    const registered = a.registeredScope(who.clientId);
    if (registered === undefined) return { refused: `the subscribing client ${who.clientId} is no longer registered` };
    const isUser = who.subject !== undefined && who.subject !== who.clientId;
    if (isUser && !a.userExists(who.subject!)) return { refused: 'the subscribing user no longer exists' };
    const scope = grantableScopes(splitScope(who.scope), splitScope(registered)).join(' ');
    principal = { ...base, kind: isUser ? 'user' : 'client', clientId: who.clientId, scope };
  } else if (who.issuer !== undefined && a.trustedIssuers.has(who.issuer)) {
    if (who.expiresAt === undefined || who.expiresAt * 1000 <= a.now()) {
      const at = who.expiresAt === undefined ? '' : ` at ${new Date(who.expiresAt * 1000).toISOString()}`;
      return { refused: `the token the Subscription was written with expired${at}: update the Subscription with a current token to resume` };
    }
    principal = { ...base, kind: 'client', ...(who.clientId ? { clientId: who.clientId } : {}), scope: who.scope };
  } else {
    return { refused: 'the issuer of the subscriber\'s token is no longer trusted' };
  }
  if (!permitsAll(principal, 'Subscription', 'r')) return { refused: 'the subscriber may no longer read Subscriptions (Subscription.r)' };
  return { principal };
}
