import { queryOf } from '../../core/query-string.js';
import type { FhirRequest, FhirResponse } from '../rest/context.js';
import type { FhirTransport, TransportRequest, TransportResponse } from './transport.js';

/** What the in-process transport needs of the embedded server: its router's handle(). */
export interface FhirRequestHandler {
  handle(request: FhirRequest): Promise<FhirResponse>;
}

/**
 * Calls the embedded FHIR router directly: no socket, no retries (nothing transient can fail
 * on the way). Bodies cross as JSON text, as over HTTP, so the caller's objects and the
 * server's never alias.
 */
export class InProcessTransport implements FhirTransport {
  readonly baseUrl: string;

  /**
   * `validatedWrites`: the caller validates every resource it writes against R4 before sending
   * it (the bridge does: validate-before-write.ts), so the server does not validate it again.
   */
  constructor(
    private readonly router: FhirRequestHandler,
    baseUrl: string,
    private readonly options: { validatedWrites?: boolean } = {},
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  async send(request: TransportRequest): Promise<TransportResponse> {
    const headers: Record<string, string> = { accept: 'application/fhir+json', ...request.headers };
    if (request.body !== undefined) headers['content-type'] = 'application/fhir+json';
    const res = await this.router.handle({
      method: request.method,
      path: request.path.split('/').filter(Boolean).map(decodeSegment).join('/'),
      query: queryOf(request.query ?? ''),
      headers,
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      ...(this.options.validatedWrites && request.body !== undefined ? { validated: true } : {}),
    });
    return { status: res.status, headers: res.headers, body: res.body, attempts: 1 };
  }
}

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
