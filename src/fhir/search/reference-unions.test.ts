import { describe, expect, it } from 'vitest';
import { testRegistry } from '../repository/test-support.js';
import { referenceUnions } from './reference-unions.js';

describe('reference unions', () => {
  it('are exactly the union of their parameters restricted to the target type, as R4 defines them', () => {
    const registry = testRegistry();
    for (const [key, union] of referenceUnions()) {
      const [type, code] = key.split('.') as [string, string];
      const def = registry.get(type, code)!;
      expect(def.kind).toBe('reference');
      const t = union.targetType;
      // `where(resolve() is T)` as the registry compiles it; each part must be a plain reference path.
      const parts = union.of.map((c) => {
        const of = registry.get(type, c)!;
        expect(of.kind).toBe('reference');
        expect(of.expression).toMatch(/^[A-Z][A-Za-z]*(\.[a-z][A-Za-z]*)+$/);
        return `${of.expression}.where(reference.startsWith('${t}/') or reference.contains('/${t}/'))`;
      });
      expect(def.expression).toBe(parts.join(' | '));
    }
  });
});
