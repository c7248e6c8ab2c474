/**
 * Finding 13 (authentication): request timeouts were off (requestTimeout 0), so a client that
 * sends its headers or body a byte at a time held a connection for ever, without a token. Now the
 * headers, and the whole of a public or unauthenticated request, must arrive within
 * --public-request-timeout (2 s here), while an authenticated upload may take longer.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmartBench, type SmartBench } from './harness.js';

let bench: SmartBench;
let port: number;

beforeAll(async () => {
  bench = await startSmartBench({ demo: false, flags: { 'public-request-timeout': '2' } });
  port = Number(new URL(bench.url).port);
}, 120_000);

afterAll(() => bench?.stop());

interface SlowResult {
  /** Milliseconds from the first byte until the server closed the connection (or the drip ended). */
  closedAfterMs: number;
  closedByServer: boolean;
  response: string;
}

/** Sends `head` then drips `drip` one byte every `everyMs`, until the server closes or the drip ends (+1 s). */
function slowRequest(head: string, drip: string, everyMs: number): Promise<SlowResult> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket: Socket = connect(port, '127.0.0.1');
    let response = '';
    let i = 0;
    let timer: NodeJS.Timeout | undefined;
    const finish = (closedByServer: boolean) => {
      clearInterval(timer);
      socket.destroy();
      resolve({ closedAfterMs: Date.now() - started, closedByServer, response });
    };
    socket.on('data', (d) => (response += d.toString('latin1')));
    socket.on('close', () => finish(true));
    socket.on('error', () => undefined);
    socket.on('connect', () => {
      socket.write(head);
      timer = setInterval(() => {
        if (socket.destroyed) return;
        if (i < drip.length) socket.write(drip[i++]);
        else setTimeout(() => finish(false), 1000);
      }, everyMs);
    });
  });
}

// Each test holds its own idle or dripping connection to the shared server and waits out a deadline:
// they run side by side (one deadline's wait instead of five in a row).
describe.concurrent('slow requests cannot hold connections', () => {
  it('closes a public request whose body drips (token endpoint) with 408', async () => {
    const body = `grant_type=client_credentials&scope=system%2FPatient.rs&${'x'.repeat(60)}`;
    const r = await slowRequest(
      `POST /oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n`,
      body,
      250,
    );
    expect(r.closedByServer).toBe(true);
    expect(r.closedAfterMs).toBeLessThan(5_000);
    expect(r.response).toMatch(/^HTTP\/1\.1 408/);
  }, 30_000);

  it('closes an unauthenticated upload to a protected route after its 401, at the deadline', async () => {
    const body = 'y'.repeat(100);
    const r = await slowRequest(
      `POST /fhir/Patient HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/fhir+json\r\nContent-Length: ${body.length}\r\n\r\n`,
      body,
      250,
    );
    expect(r.response).toMatch(/^HTTP\/1\.1 401/);
    expect(r.closedByServer).toBe(true);
    expect(r.closedAfterMs).toBeLessThan(5_000);
  }, 30_000);

  it('closes a connection whose headers drip (slowloris)', async () => {
    const r = await slowRequest(
      'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n',
      'X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n'.repeat(3),
      200,
    );
    expect(r.closedByServer).toBe(true);
    expect(r.closedAfterMs).toBeLessThan(5_000);
  }, 60_000);

  it('closes a connection that sends nothing at all', async () => {
    const r = await slowRequest('', '', 10_000);
    expect(r.closedByServer).toBe(true);
    expect(r.closedAfterMs).toBeLessThan(5_000);
  }, 30_000);

  it('lets an authenticated upload take longer than the public deadline', async () => {
    const body =
      JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Slow' }], gender: 'unknown', extension: [] }) +
      ' '.repeat(10);
    const r = await slowRequest(
      `POST /fhir/Patient HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${bench.admin}\r\nContent-Type: application/fhir+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`,
      body,
      35,
    );
    expect(r.response).toMatch(/^HTTP\/1\.1 201/);
  }, 30_000);
});
