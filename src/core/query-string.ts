/**
 * A query string as URLSearchParams, decoded per RFC 3986: a literal '+' stays '+' (as in a
 * time zone offset +02:00) instead of becoming a space. Accepts `a=b`, `?a=b` and `Type?a=b`.
 */
export function queryOf(text: string): URLSearchParams {
  const q = text.indexOf('?');
  const params = new URLSearchParams();
  for (const pair of (q >= 0 ? text.slice(q + 1) : text).split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    params.append(decode(eq < 0 ? pair : pair.slice(0, eq)), decode(eq < 0 ? '' : pair.slice(eq + 1)));
  }
  return params;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The query of a request URL (`/path?a=b`): empty when there is no `?`. */
export function queryParams(url: string): URLSearchParams {
  return url.includes('?') ? queryOf(url) : new URLSearchParams();
}

/** Splits a relative URL of a Bundle entry or link into path and query. */
export function splitUrl(url: string): { path: string; query: URLSearchParams } {
  const q = url.indexOf('?');
  const path = (q >= 0 ? url.slice(0, q) : url).replace(/^\/+|\/+$/g, '');
  return { path, query: q >= 0 ? queryOf(url.slice(q)) : new URLSearchParams() };
}
