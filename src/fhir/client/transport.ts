import type { FhirResource } from '../types.js';

/** One FHIR REST exchange below the base URL, as the client hands it to a transport. */
export interface TransportRequest {
  method: 'GET' | 'POST' | 'PUT';
  /** Below the base, no leading slash: `Patient/1`, `metadata`, `` for the base itself. */
  path: string;
  /** Already encoded, without `?`. */
  query?: string;
  /** Lower-case names. */
  headers?: Record<string, string>;
  body?: FhirResource;
  /** Sending it twice does no harm: decides which failures may be retried. */
  idempotent: boolean;
  /** For errors and logs, e.g. `search Patient` (never ids or values). */
  interaction: string;
}

export interface TransportResponse {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  body?: FhirResource;
  /** How many times the request was sent. */
  attempts: number;
}

/** How requests reach a server: in process (router call) or over HTTP (with timeouts and retries). */
export interface FhirTransport {
  readonly baseUrl: string;
  send(request: TransportRequest): Promise<TransportResponse>;
}
