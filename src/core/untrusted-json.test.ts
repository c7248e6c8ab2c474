import { describe, expect, it } from 'vitest';
import { parseUntrustedJson } from './untrusted-json.js';

describe('parseUntrustedJson', () => {
  it('parses ordinary JSON, including the banned words as values', () => {
    expect(parseUntrustedJson('{"a":[1,{"b":"__proto__ constructor prototype"}]}')).toEqual({
      a: [1, { b: '__proto__ constructor prototype' }],
    });
    expect(parseUntrustedJson('{"text":"caf\\u00e9"}')).toEqual({ text: 'café' });
  });

  it('refuses __proto__, constructor and prototype as member names at any depth, written plainly or escaped', () => {
    for (const text of [
      '{"__proto__":{"x":1}}',
      '{"a":{"b":[{"constructor":{"prototype":{"x":1}}}]}}',
      '{"prototype":1}',
      '{"\\u005f_proto__":{"x":1}}',
      '{"constr\\u0075ctor":1}',
    ]) {
      expect(() => parseUntrustedJson(text), text).toThrow(SyntaxError);
    }
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});
