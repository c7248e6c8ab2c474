import type Provider from 'oidc-provider';
import { escapeHtml, page } from './html.js';

/**
 * SMART apps name the FHIR server they want a token for in `aud` on the authorization request;
 * the server must refuse other values (a token for one server must not be phished for another).
 * Shown as an error page: the redirect URI is not trusted before the request is validated.
 */
export function installAudienceCheck(provider: Provider, fhirBase: string): void {
  provider.use(async (ctx, next) => {
    const aud = ctx.query?.aud;
    if (ctx.path === '/auth' && aud !== undefined && aud !== fhirBase) {
      ctx.status = 400;
      ctx.type = 'html';
      ctx.body = page(
        'Sign-in problem',
        `<p>This server issues tokens for ${escapeHtml(fhirBase)} only; the application asked for another server (aud).</p>`,
      );
      return;
    }
    await next();
  });
}
