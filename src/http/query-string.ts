/**
 * The query string of a request as URLSearchParams, decoded per RFC 3986: a literal '+'
 * stays '+' (as in a TimezoneOffsetFromUTC of +0900) instead of becoming a space.
 */
export function queryParams(url: string): URLSearchParams {
  const q = url.indexOf('?');
  const params = new URLSearchParams();
  if (q < 0) return params;
  for (const pair of url.slice(q + 1).split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    const value = eq < 0 ? '' : pair.slice(eq + 1);
    params.append(decode(name), decode(value));
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
