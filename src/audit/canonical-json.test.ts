import { describe, expect, it } from 'vitest';
import { canonicalJson, canonicalJsonAll } from './canonical-json.js';

describe('canonicalJson', () => {
  it('writes the same text whatever order the keys were added in, nested objects included', () => {
    const a = canonicalJson({ b: 1, a: { d: [1, 'x'], c: true } });
    const b = canonicalJson({ a: { c: true, d: [1, 'x'] }, b: 1 });
    expect(a).toBe(b);
    expect(a).toBe('{"a":{"c":true,"d":[1,"x"]},"b":1}');
  });

  it('leaves out undefined members, and writes undefined array items as null', () => {
    expect(canonicalJson({ a: undefined, b: [undefined, null, 2] })).toBe('{"b":[null,null,2]}');
  });

  it('escapes non-ASCII characters so the text is plain ASCII', () => {
    const text = canonicalJson({ name: 'Müller 山田' });
    expect(text).toBe('{"name":"M\\u00fcller \\u5c71\\u7530"}');
    expect(/^[\x20-\x7e]*$/.test(text)).toBe(true);
    expect(JSON.parse(text)).toEqual({ name: 'Müller 山田' });
  });

  it('refuses numbers JSON cannot carry', () => {
    expect(() => canonicalJson({ x: Number.NaN })).toThrow(/non-finite/);
    expect(() => canonicalJson([Number.POSITIVE_INFINITY])).toThrow(/non-finite/);
  });
});

describe('canonicalJsonAll', () => {
  it('writes each value as canonicalJson does, shared parts included', () => {
    const shared = { z: [1, { y: 'ü', x: null }], a: 'b' };
    const values = [{ s: shared, n: 1 }, { n: 2, s: shared, t: [shared, shared] }, shared, 'text', [undefined, 3]];
    expect(canonicalJsonAll(values)).toEqual(values.map((v) => canonicalJson(v)));
  });

  it('writes a deep-frozen value once per process, the same text as an unfrozen copy; a shallow-frozen one with a mutable child anew', () => {
    const coding = Object.freeze({ system: 'urn:x', code: 'ü', display: Object.freeze(['a', 'b']) });
    const copy = JSON.parse(JSON.stringify(coding)) as unknown;
    expect(canonicalJson({ c: coding })).toBe(canonicalJson({ c: copy }));
    expect(canonicalJsonAll([coding, [coding]])).toEqual([canonicalJson(copy), canonicalJson([copy])]);
    const child = { value: 1 };
    const shallow = Object.freeze({ child });
    expect(canonicalJson(shallow)).toBe('{"child":{"value":1}}');
    child.value = 2; // a frozen object whose child changed is written again, not taken from before
    expect(canonicalJson(shallow)).toBe('{"child":{"value":2}}');
  });
});
