import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import type { OAuthEvent } from './events.js';
import { escapeHtml, page, PAGE_HEADERS } from './html.js';
import type { LoginThrottle } from './login-throttle.js';
import { parseSmartScope } from './smart-scopes.js';
import type { UserStore } from './user-store.js';

/**
 * The login and consent steps of the authorization code flow (oidc-provider "interactions"):
 * a plain HTML form posts back here; the result goes to oidc-provider, which redirects the
 * browser on to the client. Patient context is the patient bound to the user; without one,
 * `patient/` scopes are not granted.
 */
export interface InteractionPorts {
  provider: Provider;
  users: UserStore;
  /** Failed sign-ins per name and per address: back-off, then lock-out. */
  throttle: LoginThrottle;
  /** Path of the issuer (`/oauth`), for the form actions. */
  basePath: string;
  emit: (e: OAuthEvent) => void;
}

export interface InteractionRequest {
  req: IncomingMessage;
  res: ServerResponse;
  uid: string;
  ip?: string;
  requestId?: string;
}

/** GET …/interaction/:uid — the login form, or the consent form once signed in. */
export async function showInteraction(p: InteractionPorts, r: InteractionRequest): Promise<void> {
  const details = await p.provider.interactionDetails(r.req, r.res);
  if (details.prompt.name === 'login') return send(r.res, 200, loginPage(p, r.uid, String(details.params.client_id)));
  return send(r.res, 200, await consentPage(p, r.uid, details));
}

/**
 * POST …/interaction/:uid/login — username + password. An unknown name and a wrong password get
 * the same page; while a name or address is throttled or locked (see LoginThrottle) every
 * attempt gets the same 429 page without its password being checked. Each failure is audited.
 */
export async function submitLogin(p: InteractionPorts, r: InteractionRequest, form: URLSearchParams): Promise<void> {
  const details = await p.provider.interactionDetails(r.req, r.res);
  const clientId = String(details.params.client_id);
  const username = (form.get('username') ?? '').slice(0, 128);
  const failed = (reason: string) =>
    p.emit({ kind: 'login-failed', clientId, subject: username, reason, ip: r.ip, requestId: r.requestId });
  const refused = p.throttle.refusal(username, r.ip);
  if (refused) {
    failed(
      `refused without checking the password: too many failed sign-ins (${refused.locked ? 'locked' : 'back-off'} until ${new Date(refused.until).toISOString()})`,
    );
    return send(r.res, 429, loginPage(p, r.uid, clientId, TOO_MANY), {
      'retry-after': String(Math.ceil((refused.until - Date.now()) / 1000)),
    });
  }
  const user =
    details.prompt.name === 'login' ? await p.users.authenticate(username, form.get('password') ?? '') : undefined;
  if (!user) {
    const { locked, until } = p.throttle.failed(username, r.ip);
    failed('wrong username or password');
    if (locked) failed(`sign-in locked until ${new Date(until).toISOString()} after repeated failures`);
    return send(r.res, 401, loginPage(p, r.uid, clientId, 'Wrong username or password.'));
  }
  p.throttle.succeeded(username);
  p.emit({ kind: 'login', clientId, subject: user.username, ip: r.ip, requestId: r.requestId });
  await p.provider.interactionFinished(
    r.req,
    r.res,
    { login: { accountId: user.username } },
    { mergeWithLastSubmission: false },
  );
}

/** POST …/interaction/:uid/confirm — allow (or `deny=1`) the requested access. */
export async function submitConsent(p: InteractionPorts, r: InteractionRequest, form: URLSearchParams): Promise<void> {
  const details = await p.provider.interactionDetails(r.req, r.res);
  const accountId = details.session?.accountId;
  if (details.prompt.name !== 'consent' || !accountId)
    return send(r.res, 400, page('Sign-in problem', '<p>There is nothing to confirm.</p>'));
  if (form.get('deny')) {
    await p.provider.interactionFinished(
      r.req,
      r.res,
      { error: 'access_denied', error_description: 'the user denied access' },
      { mergeWithLastSubmission: true },
    );
    return;
  }
  const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = details.prompt.details as ConsentDetails;
  const grant = details.grantId
    ? await p.provider.Grant.find(details.grantId)
    : new p.provider.Grant({ accountId, clientId: String(details.params.client_id) });
  if (!grant) throw new Error('the grant of this interaction is gone');
  if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
  if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
  const hasPatient = Boolean((await p.users.get(accountId))?.patient);
  for (const [indicator, scopes] of Object.entries(missingResourceScopes ?? {})) {
    const allowed = scopes.filter((s) => hasPatient || parseSmartScope(s)?.context !== 'patient');
    if (allowed.length > 0) grant.addResourceScope(indicator, allowed.join(' '));
  }
  const grantId = await grant.save();
  await p.provider.interactionFinished(r.req, r.res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

interface ConsentDetails {
  missingOIDCScope?: string[];
  missingOIDCClaims?: string[];
  missingResourceScopes?: Record<string, string[]>;
}

function loginPage(p: InteractionPorts, uid: string, clientId: string, error?: string): string {
  return page(
    'Sign in',
    `<p>Application <strong>${escapeHtml(clientId)}</strong> asks you to sign in to ImagingBridge.</p>
${error ? `<p class="error">${escapeHtml(error)}</p>` : ''}
<form method="post" action="${escapeHtml(`${p.basePath}/interaction/${uid}/login`)}">
<label for="username">Username</label><input id="username" name="username" autocomplete="username" required autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>`,
  );
}

async function consentPage(
  p: InteractionPorts,
  uid: string,
  details: Awaited<ReturnType<Provider['interactionDetails']>>,
): Promise<string> {
  const d = details.prompt.details as ConsentDetails;
  const scopes = [...(d.missingOIDCScope ?? []), ...Object.values(d.missingResourceScopes ?? {}).flat()];
  const user = details.session?.accountId ? await p.users.get(details.session.accountId) : undefined;
  const action = escapeHtml(`${p.basePath}/interaction/${uid}/confirm`);
  return page(
    'Allow access',
    `<p>Application <strong>${escapeHtml(details.params.client_id)}</strong> asks for:</p>
<ul>${scopes.map((s) => `<li>${escapeHtml(s)}</li>`).join('')}</ul>
${user?.patient ? `<p>Patient context: <strong>${escapeHtml(user.patient)}</strong></p>` : ''}
<form method="post" action="${action}"><button type="submit">Allow</button></form>
<form method="post" action="${action}"><input type="hidden" name="deny" value="1"><button type="submit">Deny</button></form>`,
  );
}

const TOO_MANY = 'Too many failed sign-ins. Wait a while and try again.';

function send(res: ServerResponse, status: number, html: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...PAGE_HEADERS, ...headers });
  res.end(html);
}
