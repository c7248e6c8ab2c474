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

/** The Subscription JSON text with the caller stamped in (text that is not a JSON object is returned as is: the router refuses it). */
export function stampSubscriber(body: string, principal: Principal): string {
  let resource: FhirResource;
  try {
    resource = JSON.parse(body) as FhirResource;
  } catch {
    return body;
  }
  if (!resource || typeof resource !== 'object' || Array.isArray(resource)) return body;
  const others = ((resource.extension ?? []) as { url?: string }[]).filter((e) => e?.url !== SUBSCRIBER_EXTENSION);
  const parts = [
    ...(principal.clientId ? [{ url: 'client', valueString: principal.clientId }] : []),
    { url: 'scope', valueString: principal.scope || '(none)' },
    ...(principal.patient ? [{ url: 'patient', valueString: principal.patient }] : []),
  ];
  return JSON.stringify({ ...resource, extension: [...others, { url: SUBSCRIBER_EXTENSION, extension: parts }] });
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
