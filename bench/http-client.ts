/**
 * Minimal HTTP client on node:http with a keep-alive agent: streamed request bodies,
 * streamed responses handed to a sink, an idle timeout and an overall deadline.
 */
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';

export function keepAliveAgent(maxSockets = 8): Agent {
  return new Agent({ keepAlive: true, maxSockets });
}

export interface HttpCall {
  method?: 'GET' | 'POST';
  headers?: Record<string, string | number>;
  body?: Buffer | Readable;
  agent?: Agent;
  /** Whole request deadline (default 10 min). */
  timeoutMs?: number;
  /** Called once the response headers arrive (before any chunk). */
  onHeaders?: (status: number, headers: IncomingHttpHeaders) => void;
  /** Each response chunk; when absent the body is collected into `body`. */
  sink?: (chunk: Buffer) => void;
}

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  /** Collected body (only without a sink). */
  body: Buffer;
  bytes: number;
  /** Time to the response headers, to the first body byte (the end when there is none) and to the end of the body, from the call. */
  headersMs: number;
  firstByteMs: number;
  totalMs: number;
}

export function httpCall(url: string, call: HttpCall = {}): Promise<HttpResult> {
  const { hostname } = new URL(url);
  if (hostname !== '127.0.0.1' && hostname !== 'localhost' && hostname !== '::1' && hostname !== '[::1]') {
    return Promise.reject(new Error(`benchmark HTTP is loopback-only, refusing ${url}`));
  }
  const started = performance.now();
  const timeoutMs = call.timeoutMs ?? 600_000;
  return new Promise((resolve, reject) => {
    const req = request(url, { method: call.method ?? 'GET', headers: call.headers, agent: call.agent });
    req.setNoDelay(true);
    const deadline = setTimeout(
      () => req.destroy(new Error(`${call.method ?? 'GET'} ${url}: no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const fail = (err: Error): void => {
      clearTimeout(deadline);
      reject(err);
    };
    req.once('error', fail);
    req.once('response', (res) => {
      const headersMs = performance.now() - started;
      call.onHeaders?.(res.statusCode ?? 0, res.headers);
      const chunks: Buffer[] = [];
      let bytes = 0;
      let firstByteMs: number | undefined;
      res.on('data', (chunk: Buffer) => {
        firstByteMs ??= performance.now() - started;
        bytes += chunk.length;
        if (call.sink) call.sink(chunk);
        else chunks.push(chunk);
      });
      res.once('error', fail);
      res.once('end', () => {
        clearTimeout(deadline);
        const totalMs = performance.now() - started;
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks),
          bytes,
          headersMs,
          firstByteMs: firstByteMs ?? totalMs,
          totalMs,
        });
      });
    });
    const body = call.body;
    if (body === undefined) req.end();
    else if (Buffer.isBuffer(body)) req.end(body);
    else {
      body.once('error', (err) => req.destroy(err));
      body.pipe(req);
    }
  });
}

/** Parses a JSON body, with the status and start of the text in the error. */
export function jsonOf<T>(result: HttpResult, what: string): T {
  const text = result.body.toString('utf8');
  if (result.status < 200 || result.status >= 300) {
    throw new Error(`${what}: HTTP ${result.status}: ${text.slice(0, 500)}`);
  }
  try {
    return (text ? JSON.parse(text) : undefined) as T;
  } catch {
    throw new Error(`${what}: invalid JSON (HTTP ${result.status}): ${text.slice(0, 200)}`);
  }
}
