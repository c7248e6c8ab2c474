import { challengeOf, jwtClaims, randomToken } from './pkce';

/** GET /api/console/config (src/http/console-routes.ts). */
export interface ConsoleConfig {
  auth: 'none' | 'smart';
  clientId?: string;
  scope?: string;
  authorizeUrl?: string;
  tokenUrl?: string;
  redirectUri?: string;
  fhirBase?: string;
}

export interface Session {
  config: ConsoleConfig;
  /** The access token: in this variable only (never localStorage, never sessionStorage). */
  token?: string;
  user?: string;
  roles: string[];
  /** Epoch ms; the token lifetime is short (no refresh tokens), the console then asks to sign in again. */
  expiresAt?: number;
}

/** Under --auth none every role is there: the server answers everything. */
const ALL_ROLES = ['administrator', 'data-steward', 'radiologist', 'clinician'];
const PENDING = 'imaging-bridge.console.pending';

let current: Session = { config: { auth: 'none' }, roles: [] };
const listeners = new Set<() => void>();

export const session = (): Session => current;
export function onSessionChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
function set(next: Session) {
  current = next;
  for (const l of listeners) l();
}

export const signedIn = (s: Session = current): boolean =>
  s.config.auth === 'none' || (s.token !== undefined && (s.expiresAt ?? Infinity) > Date.now());

/** Loads the configuration and, back from the authorization server, redeems the code. */
export async function startSession(): Promise<void> {
  const config = (await (await fetch('/api/console/config')).json()) as ConsoleConfig;
  if (config.auth === 'none') return set({ config, roles: ALL_ROLES, user: 'anonymous' });
  set({ config, roles: [] });
  if (location.pathname === '/auth/callback') await redeem(config);
}

/**
 * Authorization code + PKCE: the verifier and state wait in sessionStorage for the redirect
 * back (they are useless without the code); the token itself never leaves memory.
 */
export async function signIn(returnTo = location.pathname + location.search): Promise<void> {
  const c = current.config;
  if (!c.authorizeUrl || !c.clientId || !c.redirectUri) throw new Error('sign-in is not configured on this server');
  const verifier = randomToken();
  const state = randomToken(16);
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, returnTo }));
  const url = new URL(c.authorizeUrl);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: c.clientId,
    redirect_uri: c.redirectUri,
    scope: c.scope ?? 'openid',
    state,
    aud: c.fhirBase ?? '',
    code_challenge: await challengeOf(verifier),
    code_challenge_method: 'S256',
  }).toString();
  location.assign(url.toString());
}

export function signOut(): void {
  set({ config: current.config, roles: [] });
}

async function redeem(config: ConsoleConfig): Promise<void> {
  const params = new URLSearchParams(location.search);
  const pending = JSON.parse(sessionStorage.getItem(PENDING) ?? 'null') as {
    verifier: string;
    state: string;
    returnTo: string;
  } | null;
  sessionStorage.removeItem(PENDING);
  const fail = (why: string) => {
    history.replaceState(null, '', '/');
    throw new Error(why);
  };
  if (params.get('error')) return fail(`sign-in refused: ${params.get('error_description') ?? params.get('error')}`);
  if (!pending || params.get('state') !== pending.state) return fail('this sign-in was not started here; start again');
  const res = await fetch(config.tokenUrl ?? '/oauth/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: params.get('code') ?? '',
      redirect_uri: config.redirectUri ?? '',
      client_id: config.clientId ?? '',
      code_verifier: pending.verifier,
    }),
  });
  const body = (await res.json()) as { access_token?: string; expires_in?: number; error_description?: string };
  if (!res.ok || !body.access_token) return fail(`sign-in failed: ${body.error_description ?? res.status}`);
  const claims = jwtClaims(body.access_token);
  set({
    config,
    token: body.access_token,
    user: String(claims.sub ?? ''),
    roles: Array.isArray(claims.roles) ? claims.roles.map(String) : [],
    expiresAt: Date.now() + (body.expires_in ?? 300) * 1000,
  });
  history.replaceState(null, '', pending.returnTo.startsWith('/') ? pending.returnTo : '/');
}

/** The token expired or was refused: keep the page, ask to sign in again. */
export function expire(): void {
  if (current.config.auth === 'smart' && current.token) set({ ...current, expiresAt: 0 });
}
