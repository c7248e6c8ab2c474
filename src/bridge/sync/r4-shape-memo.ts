/**
 * A shortcut through @medplum/core's validateResource (≈ 1 ms per resource, ≈ 10 % of the main
 * thread under C-STORE load: the bridge checks each new ImagingStudy and Patient) for resources
 * shaped like one it already passed.
 *
 * What that validator decides from the resource's *shape* — which keys at which paths, arrays
 * and their lengths, the JSON kind of each value: unknown elements, cardinality, required
 * elements, empty values, invariants that only ask whether elements exist — is the same for
 * every resource of that shape. What it decides from *values* is the primitive checks
 * (non-blank, ≤ 1 MB, its regex per type; numbers finite, integer, positive), a fixed or pattern
 * value, slicing, choice types, and invariants that read values (a Period's start ≤ end, a
 * `#` reference among the contained resources, a narrative's XHTML, UCUM quantities, …).
 *
 * So a resource takes the shortcut only when (1) every element on its way has none of the
 * value-reading parts (invariant keys outside SHAPE_ONLY_INVARIANTS, fixed/pattern, slicing,
 * several types, `_` primitive extensions, an unknown key), (2) no reference starts with `#`,
 * (3) every primitive passes the validator's own value checks, and (4) a resource of exactly
 * this shape passed the full validator before. Anything else goes to the full validator, which
 * also words the problems: the shortcut only ever says "valid as that one was".
 */
import { fhirTypeToJsType, getDataType, isPrimitiveType, validationRegexes } from '@medplum/core';

/**
 * Invariants (R4 keys, of the elements and types these resources can hold) that read only
 * whether elements exist, never a value: the same for every resource of one shape. Checked by
 * hand against their FHIRPath; `r4-shape-memo.test.ts` lists what the bridge's resources meet.
 */
export const SHAPE_ONLY_INVARIANTS: ReadonlySet<string> = new Set([
  'ele-1', // hasValue() or (children().count() > id.count())
  'ext-1', // extension.exists() != value.exists()
  'dom-2', // contained.contained.empty()
  'dom-3', // skipped by the validator
  'dom-4', // contained.meta.versionId.empty() and contained.meta.lastUpdated.empty()
  'dom-5', // contained.meta.security.empty()
  'pat-1', // name.exists() or telecom.exists() or address.exists() or organization.exists()
  'att-1', // data.empty() or contentType.exists()
  'cpt-2', // value.empty() or system.exists()
  'qty-3', // code.empty() or system.exists()
  'ref-1', // reference.startsWith('#').not() or …: true when no reference starts with '#' (shapeOf refuses those)
]);

const MAX_SHAPES = 512;
const MAX_STRING = 1024 * 1024;

interface SchemaElement {
  isArray?: boolean;
  constraints?: { key: string; severity: string }[];
  type: { code: string }[];
  fixed?: unknown;
  pattern?: unknown;
  slicing?: unknown;
}

/** Per type: whether its own invariants are all shape-only (cached: the definitions never change). */
const typeIsShapeOnly = new Map<string, boolean>();

function shapeOnlyConstraints(list: SchemaElement['constraints']): boolean {
  return (list ?? []).every((c) => c.severity !== 'error' || SHAPE_ONLY_INVARIANTS.has(c.key));
}

function typeOk(type: string): boolean {
  let ok = typeIsShapeOnly.get(type);
  if (ok === undefined) {
    ok = shapeOnlyConstraints(getDataType(type).constraints as SchemaElement['constraints']);
    typeIsShapeOnly.set(type, ok);
  }
  return ok;
}

/** The validator's own checks of one primitive value (validation.ts validatePrimitiveType). */
function primitiveOk(type: string, value: unknown): boolean {
  const jsType = (fhirTypeToJsType as Record<string, string>)[type];
  if (jsType === undefined || typeof value !== jsType) return false;
  if (typeof value === 'string') {
    if (!value.trim() || value.length > MAX_STRING) return false;
    const regex = validationRegexes[type];
    return !regex || regex.test(value);
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return false;
    if ((type === 'integer' || type === 'positiveInt' || type === 'unsignedInt') && !Number.isInteger(value))
      return false;
    if (type === 'positiveInt') return value > 0;
    if (type === 'unsignedInt') return value >= 0;
  }
  return true;
}

/**
 * The shape of `resource` as a string, or undefined when the shortcut may not be taken (the
 * full validator decides). Values that fail the validator's primitive checks also give undefined.
 */
export function shapeOf(resource: { resourceType?: unknown }): string | undefined {
  if (typeof resource.resourceType !== 'string') return undefined;
  const out: string[] = [resource.resourceType];
  let schema: ReturnType<typeof getDataType>;
  try {
    schema = getDataType(resource.resourceType);
  } catch {
    return undefined;
  }
  if (!typeOk(resource.resourceType)) return undefined;

  const visit = (value: unknown, type: string): boolean => {
    if (isPrimitiveType(type)) {
      if (!primitiveOk(type, value)) return false;
      out.push(typeof value === 'string' ? 's' : typeof value === 'number' ? 'n' : 'b');
      return true;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
    if (!typeOk(type)) return false;
    if (type === 'Reference') {
      const ref = (value as { reference?: unknown }).reference;
      if (typeof ref === 'string' && ref.startsWith('#')) return false;
    }
    return object(value as Record<string, unknown>, getDataType(type));
  };

  const object = (obj: Record<string, unknown>, s: ReturnType<typeof getDataType>): boolean => {
    out.push('{');
    for (const key of Object.keys(obj)) {
      if (key === 'resourceType') continue;
      const element = Object.hasOwn(s.elements, key) ? (s.elements[key] as unknown as SchemaElement) : undefined;
      if (element?.type.length !== 1 || element.fixed || element.pattern || element.slicing) return false;
      if (!shapeOnlyConstraints(element.constraints)) return false;
      const type = element.type[0]!.code;
      const value = obj[key];
      out.push(key);
      if (Array.isArray(value)) {
        out.push(`[${value.length}`);
        for (const v of value) if (!visit(v, type)) return false;
        out.push(']');
      } else if (!visit(value, type)) return false;
    }
    out.push('}');
    return true;
  };

  return object(resource as Record<string, unknown>, schema) ? out.join(' ') : undefined;
}

/** The shapes that passed the full validator (bounded: forgotten all at once when full). */
export class ShapeMemo {
  private readonly passed = new Set<string>();

  /** True when `shape` passed before: the full validator would pass this resource too. */
  known(shape: string | undefined): boolean {
    return shape !== undefined && this.passed.has(shape);
  }

  /** The full validator passed a resource of this shape. */
  remember(shape: string | undefined): void {
    if (shape === undefined) return;
    if (this.passed.size >= MAX_SHAPES) this.passed.clear();
    this.passed.add(shape);
  }
}
