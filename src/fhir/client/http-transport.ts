import type { FhirResource } from '../types.js';
import { FhirNetworkError, FhirProtocolError, FhirTimeoutError } from './errors.js';
import { retryDelay, type Failure, type RetryPolicy } from './retry-policy.js';
import type { FhirTransport, TransportRequest, TransportResponse } from './transport.js';

export interface HttpTransportOptions {
  /** FHIR base URL, e.g. https://ehr.example/fhir/R4. */
  baseUrl: string;
  /** The Authorization header value for each attempt (a static bearer token, a SMART backend token), or none. */
  authorization?: () => Promise<string | undefined>;
  /** Called on a 401 answer; the request is then sent once more with a fresh authorization. */
  unauthorized?: () => void;
  /** Per attempt: from sending the request to the end of the answer. */
  timeoutMs: number;
  retry: RetryPolicy;
  /** Injected in tests: how to wait, where jitter comes from, the HTTP client. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  fetch?: typeof fetch;
}

type Attempt = { response: TransportResponse } | { failure: Failure; error: unknown };

/** FHIR over HTTP(S) with fetch: JSON bodies, a timeout per attempt, bounded retries with backoff and jitter. */
export class HttpTransport implements FhirTransport {
  readonly baseUrl: string;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: HttpTransportOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
    this.fetch = options.fetch ?? fetch;
  }

  async send(request: TransportRequest): Promise<TransportResponse> {
    const first = await this.sendWithRetries(request, 0);
    if (first.status !== 401 || !this.options.unauthorized) return first;
    // An expired or revoked token: the server did not act on the request, so one retry is safe.
    this.options.unauthorized();
    return this.sendWithRetries(request, first.attempts);
  }

  private async sendWithRetries(request: TransportRequest, sent: number): Promise<TransportResponse> {
    for (let attempt = sent + 1; ; attempt++) {
      const result = await this.attempt(request, attempt);
      const failure = 'failure' in result ? result.failure : statusFailure(result.response);
      const delay = failure && retryDelay(this.options.retry, attempt, failure, request.idempotent, this.random);
      if (delay === undefined || failure === undefined) {
        if ('response' in result) return result.response;
        throw result.failure.kind === 'timeout'
          ? new FhirTimeoutError(request.interaction, attempt, this.options.timeoutMs)
          : new FhirNetworkError(request.interaction, attempt, result.error);
      }
      await this.sleep(delay);
    }
  }

  private async attempt(request: TransportRequest, attempt: number): Promise<Attempt> {
    const url = `${this.baseUrl}${request.path ? `/${request.path}` : ''}${request.query ? `?${request.query}` : ''}`;
    const headers: Record<string, string> = { accept: 'application/fhir+json', ...request.headers };
    if (request.body !== undefined) headers['content-type'] = 'application/fhir+json';
    const authorization = await this.options.authorization?.();
    if (authorization) headers.authorization = authorization;
    try {
      const res = await this.fetch(url, {
        method: request.method,
        headers,
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        signal: AbortSignal.timeout(this.options.timeoutMs),
        redirect: 'manual',
      });
      const text = await res.text();
      return {
        response: {
          status: res.status,
          headers: headerRecord(res.headers),
          body: parseBody(text, res.status, request, attempt),
          attempts: attempt,
        },
      };
    } catch (error) {
      if (error instanceof FhirProtocolError) throw error;
      return { failure: classify(error), error };
    }
  }
}

function statusFailure(res: TransportResponse): Failure | undefined {
  return res.status >= 400 ? { kind: 'status', status: res.status, retryAfter: res.headers['retry-after'] } : undefined;
}

function classify(error: unknown): Failure {
  const name = (error as { name?: string })?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return { kind: 'timeout' };
  const code = (error as { cause?: { code?: string } })?.cause?.code;
  return code === 'ECONNREFUSED' ? { kind: 'refused' } : { kind: 'network' };
}

/** JSON body, or none; an error answer that is not JSON (a proxy's HTML page) is left to the status. */
function parseBody(text: string, status: number, request: TransportRequest, attempt: number): FhirResource | undefined {
  if (text.trim() === '') return undefined;
  try {
    const body: unknown = JSON.parse(text);
    if (typeof body === 'object' && body !== null && typeof (body as FhirResource).resourceType === 'string')
      return body as FhirResource;
  } catch {
    // handled below
  }
  if (status >= 400) return undefined;
  throw new FhirProtocolError(
    request.interaction,
    `HTTP ${status} with a body that is not a FHIR JSON resource`,
    attempt,
  );
}

function headerRecord(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => (out[name.toLowerCase()] = value));
  return out;
}
