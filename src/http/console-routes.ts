import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { badRequest, notFound } from '../core/errors.js';
import { PUBLIC } from './security/route-access.js';

/** What the browser needs before its first API call: how to sign in. */
export interface ConsoleConfig {
  auth: 'none' | 'smart';
  /** The console's own public OAuth client (authorization code + PKCE), under --auth smart. */
  clientId?: string;
  /** The scopes the console asks for. */
  scope?: string;
  /** Endpoints of our authorization server and the registered redirect URI, from --public-url. */
  authorizeUrl?: string;
  tokenUrl?: string;
  redirectUri?: string;
  /** `aud` of the authorization request (SMART): the FHIR base. */
  fhirBase?: string;
}

export interface ConsoleOptions {
  /** The built console (web/vite.config.ts outDir): index.html and assets/. */
  root: string;
  config: ConsoleConfig;
}

/** Where `npm run build` puts the console: dist/console, from src/http and dist/http alike. */
export const CONSOLE_BUILD_DIR = fileURLToPath(new URL('../../dist/console/', import.meta.url));

/**
 * The console's public OAuth client, registered by the server at every start under
 * --auth smart (a person's `user/` scopes are then cut to their role; steward and audit pages
 * rely on the role in the token, as every other client does).
 */
export const CONSOLE_CLIENT_ID = 'imaging-bridge-console';
export const CONSOLE_SCOPE = 'openid fhirUser profile user/*.rs';
export const CONSOLE_REDIRECT_PATH = '/auth/callback';

/** The configuration the console starts with: how to sign in under --auth smart. */
export function consoleConfig(auth: 'none' | 'smart', publicUrl: string, issuer?: string): ConsoleConfig {
  if (auth === 'none' || !issuer) return { auth: 'none' };
  return {
    auth,
    clientId: CONSOLE_CLIENT_ID,
    scope: CONSOLE_SCOPE,
    authorizeUrl: `${issuer}/auth`,
    tokenUrl: `${issuer}/token`,
    redirectUri: `${publicUrl}${CONSOLE_REDIRECT_PATH}`,
    fhirBase: `${publicUrl}/fhir`,
  };
}

/** Paths of the APIs: never answered with the console, so an unknown API path stays a 404 OperationOutcome. */
const API_PREFIXES = ['/api', '/fhir', '/fhir-ws', '/dicomweb', '/oauth', '/.well-known', '/health'];

/**
 * Strict: only our own scripts, styles and images (rendered frames arrive as blob: URLs made
 * from authenticated fetches); no inline code, no framing, no plugins.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};

const TYPES = new Map([
  ['.html', 'text/html; charset=utf-8'],
  ['.js', 'text/javascript; charset=utf-8'],
  ['.css', 'text/css; charset=utf-8'],
  ['.svg', 'image/svg+xml'],
  ['.png', 'image/png'],
  ['.ico', 'image/x-icon'],
  ['.json', 'application/json'],
  ['.woff2', 'font/woff2'],
  ['.txt', 'text/plain; charset=utf-8'],
]);

interface StaticFile {
  body: Buffer;
  type: string;
  /** Vite's hashed output under assets/: never changes under its name. */
  immutable: boolean;
}

/**
 * The web console: the built single-page app at `/` (index.html for every client-side route),
 * and its start-up configuration at `/api/console/config`. Files are read once at start (the
 * build is a few hundred kilobytes). Everything the console shows comes from the public APIs.
 */
export function registerConsoleRoutes(app: FastifyInstance, o: ConsoleOptions): void {
  const files = readBuild(o.root);
  const index = files.get('/index.html');

  app.get('/api/console/config', PUBLIC, async (_req, reply) =>
    reply.header('cache-control', 'no-store').send(o.config),
  );

  app.get('/*', PUBLIC, async (req, reply) => {
    const path = decodePath(req.url.split('?')[0]);
    if (path === undefined) throw badRequest('malformed path');
    // An unknown API path gets the app's own not-found answer (an OperationOutcome), never the console.
    if (API_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`))) return reply.callNotFound();
    const file = files.get(path);
    if (file) return sendFile(reply, file);
    // A missing hashed asset is a stale page asking for an old build: a real 404, not the app.
    // (Client-side routes hold UIDs such as /studies/1.2.840.1: their "extension" is no file type.)
    if (path.startsWith('/assets/') || TYPES.has(extname(path).toLowerCase())) throw notFound(`no file ${path}`);
    if (!index) {
      return reply
        .code(503)
        .headers(SECURITY_HEADERS)
        .type('text/plain; charset=utf-8')
        .send('The web console is not built: run `npm run build` (it builds web/ into dist/console).');
    }
    return sendFile(reply, index);
  });
}

function sendFile(reply: FastifyReply, file: StaticFile) {
  return reply
    .headers(SECURITY_HEADERS)
    .header('cache-control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
    .type(file.type)
    .send(file.body);
}

function decodePath(raw: string): string | undefined {
  try {
    const path = decodeURIComponent(raw);
    return path.includes('\0') ? undefined : path;
  } catch {
    return undefined;
  }
}

/** URL path → file of the build; only files found under `root` at start are ever served (no path joins at request time). */
function readBuild(root: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  if (!existsSync(root)) return files;
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else {
        const type = TYPES.get(extname(name).toLowerCase());
        if (!type) continue;
        const url = `/${relative(root, full).split(sep).join('/')}`;
        files.set(url, { body: readFileSync(full), type, immutable: url.startsWith('/assets/') });
      }
    }
  };
  walk(root);
  return files;
}
