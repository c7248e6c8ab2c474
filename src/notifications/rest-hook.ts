/** Delivery of one rest-hook notification, with retries and exponential backoff. */
import type { FhirResource } from '../fhir/types.js';

export interface RestHookChannel {
  endpoint: string;
  /** `Name: value` lines from Subscription.channel.header. */
  headers: string[];
  /** Subscription.channel.payload: a mime type sends the resource; absent sends an empty POST. */
  payload?: string;
}

export interface DeliveryOptions {
  retries: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  timeoutMs: number;
  /** Sent as `Idempotency-Key` on every attempt (the same notification sent again carries the same key). */
  idempotencyKey?: string;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

export interface DeliveryResult {
  ok: boolean;
  attempts: number;
  /** Why the last attempt failed (status or network error); no URL, no payload. */
  error?: string;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

/**
 * R4 rest-hook: without payload, POST to the endpoint with no body; with a payload, PUT the
 * resource to `[endpoint]/[type]/[id]` (the endpoint read as a FHIR base).
 */
export async function deliverRestHook(
  channel: RestHookChannel,
  resource: FhirResource | undefined,
  o: DeliveryOptions,
): Promise<DeliveryResult> {
  // Headers, not a plain object: a channel header named `__proto__` must stay a header.
  const headers = new Headers();
  for (const line of channel.headers) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    try {
      headers.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    } catch {
      // not a valid HTTP header name or value: left out, as a malformed line is
    }
  }
  if (o.idempotencyKey) headers.set('idempotency-key', o.idempotencyKey);
  const withPayload = !!channel.payload && !!resource;
  const url = withPayload ? resourceUrl(channel.endpoint, resource!) : channel.endpoint;
  if (withPayload) headers.set('content-type', channel.payload!);
  const init: RequestInit = withPayload
    ? { method: 'PUT', headers, body: JSON.stringify(resource) }
    : { method: 'POST', headers };
  const doFetch = o.fetch ?? fetch;
  const wait = o.sleep ?? sleep;
  let error = '';
  for (let attempt = 1; attempt <= o.retries + 1; attempt++) {
    try {
      const res = await doFetch(url, { ...init, signal: AbortSignal.timeout(o.timeoutMs), redirect: 'manual' });
      await res.arrayBuffer().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) return { ok: true, attempts: attempt };
      error = `HTTP ${res.status}`;
    } catch (e) {
      error =
        (e as Error).name === 'TimeoutError'
          ? `no answer within ${o.timeoutMs} ms`
          : `network error (${((e as Error).cause as { code?: string } | undefined)?.code ?? (e as Error).message})`;
    }
    if (attempt <= o.retries) await wait(Math.min(o.retryBaseDelayMs * 2 ** (attempt - 1), o.retryMaxDelayMs));
  }
  return { ok: false, attempts: o.retries + 1, error };
}

/** `[endpoint]/[type]/[id]`: the path extended, the endpoint's query kept after it. */
function resourceUrl(endpoint: string, resource: FhirResource): string {
  const url = new URL(endpoint);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${resource.resourceType}/${encodeURIComponent(resource.id ?? '')}`;
  return url.href;
}
