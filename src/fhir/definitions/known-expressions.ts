import type { PathValue } from './simple-path.js';

type Extract = (resource: unknown) => PathValue[];

const DECEASED = 'Patient.deceased.exists() and Patient.deceased != false';
const DECEASED_KEYS = ['deceasedBoolean', 'deceasedDateTime', '_deceasedBoolean', '_deceasedDateTime'] as const;

/**
 * `Patient.deceased.exists() and Patient.deceased != false` (Patient `deceased`) read from the
 * JSON for the shapes a Patient nearly always has: no `deceased[x]` (false), one boolean (its
 * value) or one dateTime (true). Any other shape (extensions, nulls, arrays, both choices) goes
 * to FHIRPath. It ran FHIRPath on every Patient write (≈ 0.24 ms each, the bridge creates one per
 * new patient); `known-expressions.test.ts` compares both on every shape.
 */
function deceased(fallback: Extract): Extract {
  return (resource) => {
    const r = resource as Record<string, unknown>;
    let present = 0;
    for (const key of DECEASED_KEYS) if (Object.hasOwn(r, key)) present++;
    if (present === 0) return [{ type: 'Boolean', value: false }];
    if (present === 1) {
      if (typeof r.deceasedBoolean === 'boolean') return [{ type: 'Boolean', value: r.deceasedBoolean }];
      if (typeof r.deceasedDateTime === 'string') return [{ type: 'Boolean', value: true }];
    }
    return fallback(resource);
  };
}

/**
 * Extractors for the few search parameter expressions that use FHIRPath functions but are on a
 * hot write path, each falling back to FHIRPath (`fallback`) outside the shapes it reads itself.
 * Undefined for any other expression.
 */
export function knownExpression(expression: string, fallback: Extract): Extract | undefined {
  return expression === DECEASED ? deceased(fallback) : undefined;
}
