import type { FhirResource } from '../fhir/types.js';
import type { Principal } from '../security/principal.js';

/**
 * Who created a Subscription, stamped on it by the server (any value sent by the client is
 * replaced): notifications then carry only what that subscriber's token could see.
 */
export const SUBSCRIBER_EXTENSION = 'urn:imaging-bridge:subscriber';

export interface Subscriber {
  clientId?: string;
  scope: string;
  patient?: string;
}

/**
 * The embedded FHIR router's `beforeWrite`: a Subscription created, updated or patched with a
 * token (directly or inside a batch or transaction) carries that caller as its subscriber;
 * anything the body said about the subscriber is replaced. Other resources, and writes without
 * a token (the service's own, or --auth none), pass unchanged.
 */
export function stampSubscriptions(resource: FhirResource, req: { principal?: Principal }): FhirResource {
  const principal = req.principal;
  if (resource.resourceType !== 'Subscription' || !principal || principal.kind === 'anonymous') return resource;
  const others = ((Array.isArray(resource.extension) ? resource.extension : []) as { url?: string }[]).filter((e) => e?.url !== SUBSCRIBER_EXTENSION);
  const parts = [
    ...(principal.clientId ? [{ url: 'client', valueString: principal.clientId }] : []),
    { url: 'scope', valueString: principal.scope || '(none)' },
    ...(principal.patient ? [{ url: 'patient', valueString: principal.patient }] : []),
  ];
  return { ...resource, extension: [...others, { url: SUBSCRIBER_EXTENSION, extension: parts }] };
}

/** The stamped subscriber, or undefined when the Subscription carries none. */
export function subscriberOf(subscription: FhirResource): Subscriber | undefined {
  const ext = ((subscription.extension ?? []) as { url?: string; extension?: { url?: string; valueString?: string }[] }[]).find((e) => e.url === SUBSCRIBER_EXTENSION);
  if (!ext) return undefined;
  const value = (name: string) => ext.extension?.find((e) => e.url === name)?.valueString;
  const scope = value('scope');
  if (scope === undefined) return undefined;
  return { clientId: value('client'), scope, patient: value('patient') };
}
