import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import { swapBasicSecret } from './basic-secret.js';
import type { ClientStore } from './client-store.js';
import {
  showInteraction,
  submitConsent,
  submitLogin,
  type InteractionPorts,
  type InteractionRequest,
} from './interactions.js';
import { smartConfiguration } from './smart-configuration.js';
import { requestOrigins } from './token-events.js';

/**
 * Mounts the authorization server into Fastify:
 * - `/oauth/*` is handed to oidc-provider untouched (the reply is hijacked; request bodies are
 *   left unparsed for it), with the public URL's host and scheme set as forwarded headers so
 *   every URL it builds (token endpoint audience, redirects) comes from `--public-url`;
 * - `/oauth/interaction/:uid[/login|/confirm]`: our login and consent pages;
 * - the SMART configuration at the root and under `/fhir`.
 * Routes are public (`config.access`), and listed in `MOUNTED_ROUTES` for the allow-list.
 */
export const MOUNTED_ROUTES = ['/oauth', '/.well-known/smart-configuration', '/fhir/.well-known/smart-configuration'];

const PUBLIC = { config: { access: { kind: 'public' as const } } };
const MAX_FORM_BYTES = 16 * 1024;

export interface MountOptions {
  provider: Provider;
  clients: ClientStore;
  interactions: InteractionPorts;
  issuer: string;
}

export function mountAuthorizationServer(app: FastifyInstance, o: MountOptions): void {
  const issuerUrl = new URL(o.issuer);
  const callback = o.provider.callback();
  const discovery = smartConfiguration(o.issuer);
  for (const url of ['/.well-known/smart-configuration', '/fhir/.well-known/smart-configuration']) {
    app.get(url, PUBLIC, async (_req, reply) => reply.header('cache-control', 'public, max-age=3600').send(discovery));
  }

  app.register(async (scope) => {
    // oidc-provider and the forms read the raw body themselves.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, _payload, done) => done(null));

    const interaction =
      (run: (p: InteractionPorts, r: InteractionRequest, form: URLSearchParams) => Promise<void>) =>
      async (req: FastifyRequest<{ Params: { uid: string } }>, reply: FastifyReply) => {
        reply.hijack();
        const r = { req: req.raw, res: reply.raw, uid: req.params.uid, ip: req.ip, requestId: req.id };
        try {
          await run(o.interactions, r, req.method === 'POST' ? await readForm(req.raw) : new URLSearchParams());
        } catch (e) {
          failInteraction(reply, e, req);
        }
      };
    scope.get(
      '/oauth/interaction/:uid',
      PUBLIC,
      interaction((p, r) => showInteraction(p, r)),
    );
    scope.post('/oauth/interaction/:uid/login', PUBLIC, interaction(submitLogin));
    scope.post('/oauth/interaction/:uid/confirm', PUBLIC, interaction(submitConsent));

    scope.route({
      method: ['GET', 'POST', 'OPTIONS', 'DELETE', 'PUT'],
      url: '/oauth/*',
      ...PUBLIC,
      handler: async (req, reply) => {
        reply.hijack();
        const raw = req.raw as IncomingMessage & { originalUrl?: string };
        const rest = raw.url!.slice('/oauth'.length) || '/';
        raw.originalUrl = `${issuerUrl.pathname}${rest}`;
        raw.url = rest;
        raw.headers['x-forwarded-host'] = issuerUrl.host;
        raw.headers['x-forwarded-proto'] = issuerUrl.protocol.slice(0, -1);
        requestOrigins.set(raw, { ip: req.ip, requestId: req.id });
        if (rest.startsWith('/token')) await swapBasicSecret(raw, o.clients);
        await callback(raw, reply.raw);
      },
    });
  });
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  if (!/^application\/x-www-form-urlencoded/i.test(req.headers['content-type'] ?? '')) return new URLSearchParams();
  let text = '';
  for await (const chunk of req) {
    text += String(chunk);
    if (text.length > MAX_FORM_BYTES) throw new Error('form too large');
  }
  return new URLSearchParams(text);
}

function failInteraction(reply: FastifyReply, e: unknown, req: FastifyRequest): void {
  const name = (e as Error)?.name;
  // oidc-provider's SessionNotFound / InvalidRequest when the interaction expired or the cookie is missing.
  const expected = name === 'SessionNotFound' || name === 'InvalidRequest';
  if (!expected) req.log.error({ err: e }, 'authorization interaction failed');
  if (reply.raw.headersSent) return void reply.raw.end();
  reply.raw.writeHead(expected ? 400 : 500, {
    'content-type': 'text/plain; charset=utf-8',
    'cache-control': 'no-store',
  });
  reply.raw.end(
    expected
      ? 'This sign-in has expired or was opened in another browser. Start again from the application.'
      : 'Sign-in failed.',
  );
}
