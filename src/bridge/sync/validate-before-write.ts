/**
 * Every resource the bridge writes (ImagingStudy, Patient, Endpoint) is checked against the R4
 * StructureDefinitions before it is written: structure, cardinality, types, invariants and
 * required bindings (validateFhirResource, as the embedded FHIR server does), and each primitive
 * value against the regex its R4 type declares, no string empty (the validator of @medplum/core
 * accepts a dateTime without offset and "" — an external server may not). An invalid resource
 * is not written: the sync fails permanently with InvalidResourceError, which parks the study in
 * the dead-letter list with the validator's messages and is recorded as data-quality findings.
 */
import { loadR4 } from '../../fhir/definitions/load-r4.js';
import { OperationOutcomeError } from '../../core/errors.js';
import type { FhirResource } from '../../fhir/types.js';
import { validateFhirResource } from '../../fhir/validate.js';
import { checkRequiredBindings } from '../../fhir/definitions/required-bindings.js';
import type { Finding } from '../normalize/index.js';
import { ShapeMemo, shapeOf } from './r4-shape-memo.js';

export const R4_VALIDATION_RULE = 'fhir-r4-validation';

export interface ResourceProblem {
  resourceType: string;
  /** FHIRPath of the element, e.g. `ImagingStudy.series[0].modality`. */
  expression: string;
  /** The validator's message. It names elements and codes, never a primitive's value. */
  message: string;
}

/** A resource the bridge was about to write is not valid R4: nothing was written. Permanent (not retried). */
export class InvalidResourceError extends Error {
  constructor(readonly problems: ResourceProblem[]) {
    const shown = problems.slice(0, 5).map((p) => `${p.expression}: ${p.message}`);
    if (problems.length > shown.length) shown.push(`and ${problems.length - shown.length} more`);
    super(
      `not written: invalid R4 ${[...new Set(problems.map((p) => p.resourceType))].join(', ')} (${shown.join('; ')})`,
    );
    this.name = 'InvalidResourceError';
  }
}

/** Shapes the full validator passed in this process (r4-shape-memo.ts). */
const shapes = new ShapeMemo();

/** Every problem of `resource` as R4 sees it; empty when it is valid. */
export function r4ResourceProblems(resource: FhirResource): ResourceProblem[] {
  loadR4();
  const resourceType = String(resource.resourceType);
  const problems: ResourceProblem[] = [];
  const shape = shapeOf(resource);
  try {
    if (shapes.known(shape)) {
      // Shaped like one the full validator passed, primitives checked as it does: only the codes are left.
      const bindings = checkRequiredBindings(resource);
      if (bindings.length > 0) validateFhirResource(resource); // throws, wording every problem
    } else {
      validateFhirResource(resource);
      shapes.remember(shape);
    }
  } catch (e) {
    if (!(e instanceof OperationOutcomeError)) {
      problems.push({
        resourceType,
        expression: resourceType,
        message: `could not be validated: ${(e as Error).message}`,
      });
    } else {
      // When it throws, the outcome also carries the validator's warnings (e.g. a urn:uuid reference to a Patient in the same transaction).
      for (const i of e.outcome.issue.filter((x) => x.severity === 'error' || x.severity === 'fatal')) {
        problems.push({
          resourceType,
          expression: i.expression?.[0] ?? resourceType,
          message: i.diagnostics ?? i.details?.text ?? i.code,
        });
      }
    }
  }
  const seen = new Set(problems.map((p) => p.expression));
  for (const p of primitiveProblems(resource)) if (!seen.has(p.expression)) problems.push(p);
  return problems;
}

/** Throws InvalidResourceError naming every problem of every resource — call it before the first of them is written. */
export function validateBeforeWrite(resources: readonly FhirResource[]): void {
  const problems = resources.flatMap(r4ResourceProblems);
  if (problems.length > 0) throw new InvalidResourceError(problems);
}

/** The data-quality findings of a resource that was not written (severity error, the FHIR element as tag). */
export function findingsOf(error: InvalidResourceError): Finding[] {
  return error.problems.map((p) => ({
    rule: R4_VALIDATION_RULE,
    severity: 'error',
    tag: p.expression,
    original: null,
    message: `${p.resourceType} not written: ${p.message}`,
  }));
}

// ---- primitives: the regex of each R4 primitive type, and no empty strings ----

function primitiveProblems(resource: FhirResource): ResourceProblem[] {
  const resourceType = String(resource.resourceType);
  const problems: ResourceProblem[] = [];
  const { elementTypes: elements, primitiveRegexes: regexes } = loadR4();
  const visit = (value: unknown, path: string, where: string): void => {
    if (Array.isArray(value)) return value.forEach((v, i) => visit(v, path, `${where}[${i}]`));
    const type = elements.get(path);
    if (!type) return; // choice types, extensions' values and unknown elements: the validator above speaks for those
    if (value !== null && typeof value === 'object') {
      const base = type === 'BackboneElement' || type === 'Element' ? path : type;
      for (const [k, v] of Object.entries(value))
        if (k !== 'resourceType' && !k.startsWith('_')) visit(v, `${base}.${k}`, `${where}.${k}`);
      return;
    }
    if (typeof value === 'string' && value.trim() === '')
      problems.push({ resourceType, expression: where, message: 'empty string' });
    else if (regexes.get(type)?.test(String(value)) === false)
      problems.push({ resourceType, expression: where, message: `not a valid ${type}` });
  };
  visit(resource, resourceType, resourceType);
  return problems;
}
