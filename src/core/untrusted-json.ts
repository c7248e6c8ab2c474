/**
 * JSON from outside (request bodies) that must never carry member names which reach
 * JavaScript's built-in objects when code later walks or merges it: `__proto__`,
 * `constructor`, `prototype` are refused wherever they appear (no FHIR element, no field of
 * ours has those names). The check runs only when the text could hold one of them (written
 * plainly or \u-escaped), so ordinary bodies parse at JSON.parse speed.
 */
const SUSPECT = /__proto__|constructor|prototype|\\u/;
const BANNED: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** JSON.parse, throwing a SyntaxError for a banned member name (the caller's 400 for invalid JSON). */
export function parseUntrustedJson(text: string): unknown {
  if (!SUSPECT.test(text)) return JSON.parse(text);
  return JSON.parse(text, (key, value: unknown) => {
    if (BANNED.has(key)) throw new SyntaxError(`the member name "${key}" is not allowed`);
    return value;
  });
}
