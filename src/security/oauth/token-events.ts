import type { IncomingMessage } from 'node:http';
import { decodeJwt } from 'jose';
import type Provider from 'oidc-provider';
import type { OAuthEvent } from './events.js';

/** Where a raw request came from, noted by the mount for the events of that request. */
export const requestOrigins = new WeakMap<IncomingMessage, { ip?: string; requestId?: string }>();

/**
 * After the token endpoint: adds SMART's `patient` to the token response (from our own access
 * token's claim) and reports the issuance or the refusal.
 */
export function installTokenEvents(provider: Provider, emit: (e: OAuthEvent) => void): void {
  // The public error_description is generic ("client authentication failed"); the audit gets the detail.
  const details = new WeakMap<IncomingMessage, string>();
  const note = (ctx: { req: IncomingMessage }, err: { error_detail?: string }) => {
    if (err.error_detail) details.set(ctx.req, err.error_detail);
  };
  provider.on('grant.error', note);
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.oidc?.route !== 'token') return;
    const origin = requestOrigins.get(ctx.req) ?? {};
    const body = (ctx.body ?? {}) as Record<string, unknown>;
    const clientId =
      ctx.oidc.client?.clientId ?? claimedClientId(ctx.oidc.params as Record<string, unknown> | undefined);
    if (ctx.status === 200 && typeof body.access_token === 'string') {
      const claims = decodeJwt(body.access_token);
      if (typeof claims.patient === 'string') body.patient = claims.patient;
      emit({
        kind: 'token-issued',
        clientId,
        subject: claims.sub,
        jti: claims.jti,
        scope: typeof body.scope === 'string' ? body.scope : undefined,
        ...origin,
      });
    } else {
      const reason = [body.error, body.error_description, details.get(ctx.req)]
        .filter((x) => typeof x === 'string')
        .join(': ');
      emit({ kind: 'token-denied', clientId, reason: reason || `HTTP ${ctx.status}`, ...origin });
    }
  });
}

/** The client a refused request claimed to be (client_id, or the assertion's iss), for the audit record. */
function claimedClientId(params: Record<string, unknown> | undefined): string | undefined {
  if (typeof params?.client_id === 'string') return params.client_id;
  if (typeof params?.client_assertion !== 'string') return undefined;
  try {
    const iss = decodeJwt(params.client_assertion).iss;
    return typeof iss === 'string' ? iss.slice(0, 128) : undefined;
  } catch {
    return undefined;
  }
}
