/**
 * One timed HTTP request whose outcome becomes a check: the status, the time, and for a
 * failure what kind it was (DNS, refused, TLS, timeout) in words a reader can act on.
 */
import type { Check, CheckStatus } from './types.js';

export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
}

export type NetworkFailure = 'dns' | 'refused' | 'tls' | 'timeout' | 'network';

export interface HttpProbeResult {
  check: Check;
  answer?: HttpAnswer;
  failure?: { kind: NetworkFailure; message: string };
}

export interface HttpProbeOptions {
  timeoutMs: number;
  headers?: Record<string, string>;
  method?: string;
  body?: string | Buffer;
  /** Decides the check's status from the answer (default: 2xx is ok). */
  judge?: (a: HttpAnswer) => { status: CheckStatus; detail: string };
  /** Reads at most this many bytes of the body (default 8 MB). */
  maxBytes?: number;
}

const TLS_CODES = /CERT|SELF_SIGNED|TLS|SSL|UNABLE_TO_VERIFY|HOSTNAME|ALTNAME/;

/** What kind of network failure `err` (from fetch) was. */
export function classifyFailure(err: unknown): { kind: NetworkFailure; message: string } {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.cause?.code ?? '';
  const cause = e.cause?.message ?? e.message ?? String(err);
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return { kind: 'timeout', message: 'no answer in time' };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { kind: 'dns', message: `host name not found (${code})` };
  if (code === 'ECONNREFUSED') return { kind: 'refused', message: 'connection refused (nothing listens there)' };
  if (TLS_CODES.test(code) || /certificate|TLS|SSL/i.test(cause))
    return { kind: 'tls', message: `TLS failed: ${code || cause}` };
  if (code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT')
    return { kind: 'timeout', message: 'connect timed out' };
  return { kind: 'network', message: `${code ? `${code}: ` : ''}${cause}` };
}

const ok2xx = (a: HttpAnswer) =>
  a.status >= 200 && a.status < 300
    ? { status: 'ok' as const, detail: `HTTP ${a.status}` }
    : { status: 'failed' as const, detail: `HTTP ${a.status}` };

export async function httpProbe(name: string, url: string, o: HttpProbeOptions): Promise<HttpProbeResult> {
  const method = o.method ?? 'GET';
  const request = `${method} ${url}`;
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  try {
    const res = await fetch(url, {
      method,
      headers: o.headers,
      body: o.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(o.timeoutMs),
    });
    const text = await readLimited(res, o.maxBytes ?? 8 * 1024 * 1024);
    const answer = { status: res.status, headers: res.headers, text };
    const judged = (o.judge ?? ok2xx)(answer);
    return {
      check: { name, status: judged.status, request, httpStatus: res.status, ms: ms(), detail: judged.detail },
      answer,
    };
  } catch (err) {
    const failure = classifyFailure(err);
    return { check: { name, status: 'failed', request, ms: ms(), detail: failure.message }, failure };
  }
}

async function readLimited(res: Response, max: number): Promise<string> {
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    chunks.push(chunk);
    size += chunk.byteLength;
    if (size >= max) break;
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A JSON body, or undefined when it is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A check for something not looked at, with the reason. */
export const notProbed = (name: string, request: string, detail: string): Check => ({
  name,
  status: 'not-probed',
  request,
  ms: 0,
  detail,
});
