import { FhirProtocolError } from './errors.js';

/**
 * The path and raw query of a server URL (a `next` link, a Location) below our base path. The
 * request then goes to our configured origin whatever host the link names: servers behind
 * proxies often do not know their public name, and our credentials never leave that origin.
 */
export function pathBelowBase(baseUrl: string, url: string, interaction: string): { path: string; query?: string } {
  let target: URL;
  try {
    target = new URL(url, `${baseUrl}/`);
  } catch {
    throw new FhirProtocolError(interaction, 'the server sent a link that is not a URL');
  }
  const basePath = new URL(baseUrl).pathname.replace(/\/+$/, '');
  if (target.pathname !== basePath && !target.pathname.startsWith(`${basePath}/`)) {
    throw new FhirProtocolError(interaction, 'the server sent a link outside its FHIR base path');
  }
  const path = target.pathname.slice(basePath.length).replace(/^\/+|\/+$/g, '');
  return target.search.length > 1 ? { path, query: target.search.slice(1) } : { path };
}
