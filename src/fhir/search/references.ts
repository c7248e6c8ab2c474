/**
 * A reference as stored in the index: local references (relative, or absolute under our own
 * base URL) by target type and id; anything else (other servers, urn:, canonical) by its text.
 */
export interface ParsedReference {
  targetType: string | null;
  targetId: string | null;
  url: string;
}

const LOCAL = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/;

export function parseReference(ref: string, baseUrl: string): ParsedReference {
  const relative = baseUrl && ref.startsWith(`${baseUrl}/`) ? ref.slice(baseUrl.length + 1) : ref;
  const m = LOCAL.exec(relative);
  if (m) return { targetType: m[1], targetId: m[2], url: `${m[1]}/${m[2]}` };
  return { targetType: null, targetId: null, url: ref };
}
