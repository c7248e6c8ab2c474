import r4Model from 'fhirpath/fhir-context/r4/index.js';
import { splitUnion } from './fhirpath-terms.js';

/** A value with its FHIR type name ('CodeableConcept', 'dateTime', ...), as FHIRPath reports it. */
export interface PathValue {
  type: string;
  value: unknown;
}

interface Model {
  choiceTypePaths: Record<string, string[]>;
  pathsDefinedElsewhere: Record<string, string>;
  path2Type: Record<string, string>;
  type2Parent: Record<string, string>;
}
const MODEL = r4Model as unknown as Model;

/** FHIR R4's primitive types: a choice `valueDateTime` is of type `dateTime`. */
const PRIMITIVES = new Set([
  'base64Binary',
  'boolean',
  'canonical',
  'code',
  'date',
  'dateTime',
  'decimal',
  'id',
  'instant',
  'integer',
  'markdown',
  'oid',
  'positiveInt',
  'string',
  'time',
  'unsignedInt',
  'uri',
  'url',
  'uuid',
  'xhtml',
]);
/** Element types whose children are named below the element's own path, not below a data type. */
const NESTED = new Set(['BackboneElement', 'Element']);

/** One step of a path: the JSON keys it reads (several for a choice element) and their types. */
type Step = { key: string; type: string }[];
/** A term: its steps, and the target type its references must name (from `where`), if any. */
interface Term {
  steps: Step[];
  target?: string;
  /** `where(key='value')` on the last step: only the items whose `key` is that string. */
  equals?: { key: string; value: string };
}

/**
 * `Type.a.b`, `Type.a.b.ofType(X)`, `Type.a.b.where(reference.startsWith('X/') or
 * reference.contains('/X/'))` (what termsFor makes of `where(resolve() is X)`), or
 * `Type.a.b.where(c='text')` (e.g. `Patient.telecom.where(system='email')`); optionally in
 * parentheses.
 */
const TERM =
  /^\(?\s*([A-Z][A-Za-z]*)((?:\.[a-z][A-Za-z]*)+)(?:\.ofType\(\s*([A-Za-z]+)\s*\)|\.where\(reference\.startsWith\('([A-Z][A-Za-z]*)\/'\) or reference\.contains\('\/\4\/'\)\)|\.where\(\s*([a-z][A-Za-z]*)\s*=\s*'([A-Za-z0-9-]*)'\s*\))?\s*\)?$/;

/**
 * Search parameter expressions that are only unions of plain paths (90 % of R4's, e.g.
 * `AuditEvent.agent.who`, `Observation.effective`, `Observation.value.ofType(Quantity)`) are
 * read by walking the JSON, with each value's type taken from the R4 model — the same values and
 * types FHIRPath gives (`simple-path.test.ts` compares both on every golden resource), at a
 * fraction of the cost: indexing is on every write's path, including each audit record's copy.
 * Any other expression (functions, `where`, a choice element before the last step, a path the
 * model does not know) returns undefined, and FHIRPath evaluates it.
 */
export function compileSimplePath(expression: string): ((resource: unknown) => PathValue[]) | undefined {
  const terms: Term[] = [];
  for (const raw of splitUnion(expression)) {
    const m = TERM.exec(raw.trim());
    if (!m) return undefined;
    const steps = compileTerm(m[1], m[2].slice(1).split('.'), m[3]);
    if (!steps) return undefined;
    terms.push({ steps, ...(m[4] ? { target: m[4] } : {}), ...(m[5] ? { equals: { key: m[5], value: m[6] } } : {}) });
  }
  if (terms.length === 0) return undefined;
  return (resource) => {
    const out: PathValue[] = [];
    for (const { steps, target, equals } of terms) {
      if (!target && !equals) {
        walk(resource, steps, 0, out);
        continue;
      }
      const found: PathValue[] = [];
      walk(resource, steps, 0, found);
      for (const v of found) {
        const item = v.value as Record<string, unknown>;
        if (target ? namesType(item.reference, target) : item[equals!.key] === equals!.value) out.push(v);
      }
    }
    return out;
  };
}

function compileTerm(resourceType: string, names: string[], ofType: string | undefined): Step[] | undefined {
  const steps: Step[] = [];
  let prefix = resourceType;
  for (let i = 0; i < names.length; i++) {
    const last = i === names.length - 1;
    const found = lookup(prefix, names[i]);
    if (!found) return undefined;
    if ('choices' in found) {
      if (!last) return undefined;
      const keys = found.choices.map((c) => ({ key: names[i] + c, type: typeName(c) }));
      const kept = ofType === undefined ? keys : keys.filter((k) => k.type === typeName(ofType));
      if (kept.length === 0) return undefined;
      steps.push(kept);
      return steps;
    }
    steps.push([{ key: names[i], type: found.type }]);
    prefix = NESTED.has(found.type) ? found.path : found.type;
  }
  // ofType on an element that is not a choice: kept only when it names the element's own type.
  if (ofType !== undefined && steps[steps.length - 1][0].type !== typeName(ofType)) return undefined;
  return steps;
}

/** The element `name` below `prefix` (a data type, resource type or element path), searching base types. */
function lookup(prefix: string, name: string): { path: string; type: string } | { choices: string[] } | undefined {
  for (let p: string | undefined = prefix; p; p = MODEL.type2Parent[p]) {
    const path = MODEL.pathsDefinedElsewhere[`${p}.${name}`] ?? `${p}.${name}`;
    const choices = MODEL.choiceTypePaths[path];
    if (choices) return { choices };
    const type = MODEL.path2Type[path];
    if (type) return { path, type };
  }
  return undefined;
}

const typeName = (t: string) => {
  const lower = t[0].toLowerCase() + t.slice(1);
  return PRIMITIVES.has(lower) ? lower : t;
};

/** `reference.startsWith('X/') or reference.contains('/X/')` */
function namesType(reference: unknown, type: string): boolean {
  return typeof reference === 'string' && (reference.startsWith(`${type}/`) || reference.includes(`/${type}/`));
}

function walk(node: unknown, steps: Step[], i: number, out: PathValue[]): void {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return;
  const last = i === steps.length - 1;
  for (const { key, type } of steps[i]) {
    const v = (node as Record<string, unknown>)[key];
    if (v === undefined || v === null) continue;
    for (const item of Array.isArray(v) ? v : [v]) {
      if (item === null || item === undefined) continue;
      if (last) out.push({ type, value: item });
      else walk(item, steps, i + 1, out);
    }
  }
}
