/**
 * Notifications carry only what the subscriber's token may see (--auth smart): the server
 * stamps the creator on each Subscription; a rest-hook fires with the resource for a
 * subscriber that may read it, and not at all for one that may not (same criteria). The
 * websocket needs a token. Real HTTP receiver, real websocket client, real signed JWTs.
 */
import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectWebSocket } from '../support/websocket-client.js';
import { waitFor } from '../support/wait.js';
import type { Json } from '../support/http.js';
import { ROOT, ctInstance } from '../../src/dicom/test-support.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { multipartBody } from '../support/multipart.js';
import { freePort } from '../support/ports.js';

const ISSUER = 'https://idp.hospital.test/realms/imaging';
const AUDIENCE = 'urn:test:imaging-bridge';

describe('notifications filtered by the subscriber token', () => {
  let server: TestServer;
  let receiver: Server;
  let hooks = '';
  const received: { path: string; method: string; body: string }[] = [];
  let key: CryptoKey;

  const token = (scope: string, roles: string[] = []) =>
    new SignJWT({ scope, roles, azp: 'subscriber-app' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(`app-${randomUUID()}`)
      .setIssuedAt()
      .setExpirationTime('5m')
      .setJti(randomUUID())
      .sign(key);

  const subscribe = async (bearer: string, path: string, criteria: string) => {
    const res = await fetch(`${server.url}/fhir/Subscription`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${bearer}` },
      body: JSON.stringify({
        resourceType: 'Subscription',
        status: 'requested',
        reason: 'test',
        criteria,
        channel: { type: 'rest-hook', endpoint: `${hooks}${path}`, payload: 'application/fhir+json' },
        // A forged subscriber claim is replaced by the server's own stamp.
        extension: [
          { url: 'urn:imaging-bridge:subscriber', extension: [{ url: 'scope', valueString: 'system/*.cruds' }] },
        ],
      }),
    });
    expect(res.status).toBe(201);
    const sub = (await res.json()) as Json;
    const stamp = sub.extension.find((e: Json) => e.url === 'urn:imaging-bridge:subscriber');
    expect(stamp.extension.find((e: Json) => e.url === 'scope').valueString).not.toBe('system/*.cruds');
    return sub;
  };

  beforeAll(async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    key = privateKey;
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ path: req.url!, method: req.method!, body });
        res.end();
      });
    });
    const port = await freePort();
    await new Promise<void>((r) => receiver.listen(port, '127.0.0.1', r));
    hooks = `http://127.0.0.1:${port}/hooks`;
    server = await startTestServer(
      { auth: 'smart' },
      {
        configFile: {
          bridge: { debounceMs: 50, minIntervalMs: 200, maxDelayMs: 500, pollMs: 20 },
          notifications: {
            restHookAllowList: [`${hooks}/`],
            retries: 1,
            retryBaseDelayMs: 20,
            retryMaxDelayMs: 50,
            timeoutMs: 2000,
          },
          security: {
            externalIssuers: [
              {
                issuer: ISSUER,
                jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }] },
                audience: AUDIENCE,
                roleMap: { admin: 'administrator' },
              },
            ],
          },
        },
      },
    );
  });
  afterAll(async () => {
    await server?.stop();
    receiver?.closeAllConnections();
    await new Promise((r) => receiver?.close(r));
  });

  it('sends the ImagingStudy to a subscriber that may read it and nothing to one that may not', async () => {
    const reader = await subscribe(
      await token('user/Subscription.cruds user/ImagingStudy.rs'),
      '/reader',
      'ImagingStudy?modality=CT',
    );
    const blind = await subscribe(
      await token('user/Subscription.cruds user/Observation.rs'),
      '/blind',
      'ImagingStudy?modality=CT',
    );
    const admin = await token('user/*.cruds', ['admin']);
    for (const sub of [reader, blind]) {
      await waitFor(
        async () => {
          const s = (await (
            await fetch(`${server.url}/fhir/Subscription/${sub.id}`, { headers: { authorization: `Bearer ${admin}` } })
          ).json()) as Json;
          return s.status === 'active' ? s : undefined;
        },
        { timeoutMs: 15_000, what: 'an active Subscription' },
      );
    }
    const study = `${ROOT}.77.${process.pid}`;
    const { body, contentType } = multipartBody([
      ctInstance({ study, series: `${study}.1`, sop: `${study}.1.1`, modality: 'CT' }),
    ]);
    const stored = await fetch(`${server.dicomweb}/studies`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': contentType },
      body,
    });
    expect(stored.status).toBe(200);
    const [hit] = await waitFor(
      async () => {
        const got = received.filter((r) => r.path.startsWith('/hooks/reader/ImagingStudy/'));
        return got.length ? got : undefined;
      },
      { timeoutMs: 20_000, what: 'the notification to the reader' },
    );
    expect(JSON.parse(hit.body)).toMatchObject({ resourceType: 'ImagingStudy' });
    await new Promise((r) => setTimeout(r, 1000));
    expect(received.filter((r) => r.path.startsWith('/hooks/blind'))).toEqual([]);
  });

  it('refuses the websocket channel without a valid token', async () => {
    const ws = `${server.url.replace('http', 'ws')}/fhir-ws`;
    await expect(connectWebSocket(ws)).rejects.toThrow(/401/);
    await expect(connectWebSocket(ws, { authorization: 'Bearer forged' })).rejects.toThrow(/401/);
    await expect(
      connectWebSocket(ws, { authorization: `Bearer ${await token('user/Observation.rs')}` }),
    ).rejects.toThrow(/403/);
    const client = await connectWebSocket(ws, { authorization: `Bearer ${await token('user/Subscription.rs')}` });
    client.send('bind nothing-here');
    expect(await client.next()).toMatch(/^error nothing-here/);
    client.close();
  });
});
