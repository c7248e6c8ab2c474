import { forbidden } from '../core/errors.js';
import type { FhirResource } from '../fhir/types.js';
import type { Principal } from '../auth/principal.js';

/**
 * Who created a Subscription, stamped on it by the server (any value sent by the client is
 * replaced): notifications then carry only what that subscriber may see, deliveries re-check the
 * subscriber's current authority, and only the subscriber sees the channel's header values.
 */
export const SUBSCRIBER_EXTENSION = 'urn:imaging-bridge:subscriber';

export interface Subscriber {
  clientId?: string;
  scope: string;
  patient?: string;
  /** Who issued the token that stamped it (our own issuer or an external one). */
  issuer?: string;
  /** The token's `sub`. */
  subject?: string;
  /** The stamping token's expiry (seconds since the epoch). */
  expiresAt?: number;
}

/** What replaces a header value for anyone but the subscriber. */
export const MASKED = '***';

type Stamp<R> = (resource: FhirResource, req: { principal?: Principal; method?: string }) => R;

/**
 * The embedded FHIR router's `beforeWrite`: a Subscription created, updated or patched with a
 * token (directly or inside a batch or transaction) carries that caller as its subscriber;
 * anything the body said about the subscriber is replaced. A Subscription already stored for
 * another subscriber cannot be updated or patched by this caller (403): the write would make the
 * caller its subscriber with the other's channel headers (or copy them elsewhere by a patch).
 * `stored` reads the current version (synchronously from the embedded SQLite store; a promise
 * from PostgreSQL, and the check then answers a promise). Other resources, and writes without a
 * token (the service's own, or --auth none), pass unchanged.
 */
export function subscriptionStamper(stored: (id: string) => FhirResource | undefined): Stamp<FhirResource>;
export function subscriptionStamper(
  stored: (id: string) => FhirResource | undefined | Promise<FhirResource | undefined>,
): Stamp<FhirResource | Promise<FhirResource>>;
export function subscriptionStamper(
  stored: (id: string) => FhirResource | undefined | Promise<FhirResource | undefined>,
): Stamp<FhirResource | Promise<FhirResource>> {
  return (
    resource: FhirResource,
    req: { principal?: Principal; method?: string },
  ): FhirResource | Promise<FhirResource> => {
    const principal = req.principal;
    if (resource.resourceType !== 'Subscription' || !principal || principal.kind === 'anonymous') return resource;
    const check = (current: FhirResource | undefined) => {
      if (current && !isSubscriber(current, principal))
        throw forbidden(`Subscription/${resource.id} belongs to another subscriber: only its subscriber may change it`);
      return stamp(resource, principal);
    };
    if (req.method === 'POST' || typeof resource.id !== 'string') return stamp(resource, principal);
    const current = stored(resource.id);
    return current instanceof Promise ? current.then(check) : check(current);
  };
}

function stamp(resource: FhirResource, principal: Principal): FhirResource {
  const others = ((Array.isArray(resource.extension) ? resource.extension : []) as { url?: string }[]).filter(
    (e) => e?.url !== SUBSCRIBER_EXTENSION,
  );
  const parts = [
    ...(principal.clientId ? [{ url: 'client', valueString: principal.clientId }] : []),
    { url: 'scope', valueString: principal.scope || '(none)' },
    ...(principal.patient ? [{ url: 'patient', valueString: principal.patient }] : []),
    ...(principal.issuer ? [{ url: 'issuer', valueString: principal.issuer }] : []),
    ...(principal.subject ? [{ url: 'subject', valueString: principal.subject }] : []),
    ...(principal.expiresAt !== undefined ? [{ url: 'expires', valueString: String(principal.expiresAt) }] : []),
  ];
  return { ...resource, extension: [...others, { url: SUBSCRIBER_EXTENSION, extension: parts }] };
}

/** The stamped subscriber, or undefined when the Subscription carries none. */
export function subscriberOf(subscription: FhirResource): Subscriber | undefined {
  const ext = (
    (Array.isArray(subscription.extension) ? subscription.extension : []) as {
      url?: string;
      extension?: { url?: string; valueString?: string }[];
    }[]
  ).find((e) => e?.url === SUBSCRIBER_EXTENSION);
  if (!ext) return undefined;
  const value = (name: string) =>
    (Array.isArray(ext.extension) ? ext.extension : []).find((e) => e?.url === name)?.valueString;
  const scope = value('scope');
  if (scope === undefined) return undefined;
  const expires = Number(value('expires'));
  return {
    clientId: value('client'),
    scope,
    patient: value('patient'),
    issuer: value('issuer'),
    subject: value('subject'),
    ...(Number.isFinite(expires) ? { expiresAt: expires } : {}),
  };
}

/**
 * Whether the principal is the Subscription's stamped subscriber: the same issuer, client and
 * subject (each as far as the stamp recorded it; a stamp with none of them matches nobody).
 */
export function isSubscriber(subscription: FhirResource, principal: Principal): boolean {
  const who = subscriberOf(subscription);
  if (!who || (who.clientId === undefined && who.subject === undefined)) return false;
  return (
    (who.issuer === undefined || who.issuer === principal.issuer) &&
    who.clientId === principal.clientId &&
    (who.subject === undefined || who.subject === principal.subject)
  );
}

/**
 * The router's `beforeSend` for Subscriptions: the header values of `channel.header` go to the
 * subscriber only; anyone else (any other authenticated caller, administrators included) gets
 * `Name: ***`. The service's own reads (no principal) and --auth none (anonymous, where nobody
 * is told apart) see them; the stored resource keeps them.
 */
export function maskChannelHeaders(resource: FhirResource, req: { principal?: Principal }): FhirResource {
  const principal = req.principal;
  if (
    resource.resourceType !== 'Subscription' ||
    !principal ||
    principal.kind === 'anonymous' ||
    isSubscriber(resource, principal)
  )
    return resource;
  const channel = resource.channel as { header?: unknown } | undefined;
  if (!channel || !Array.isArray(channel.header)) return resource;
  const header = channel.header.map((line) => {
    const text = typeof line === 'string' ? line : '';
    const colon = text.indexOf(':');
    return colon > 0 ? `${text.slice(0, colon)}: ${MASKED}` : MASKED;
  });
  return { ...resource, channel: { ...channel, header } };
}
