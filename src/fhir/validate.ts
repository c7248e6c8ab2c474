import { validateResource } from '@medplum/core';
import { invalid } from '../core/errors.js';
import type { FhirResource, OperationOutcomeIssue } from './types.js';
import { checkRequiredBindings } from './definitions/required-bindings.js';

/**
 * Checks a resource against the R4 StructureDefinitions (cardinality, types, unknown elements,
 * invariants — via @medplum/core) and the required code bindings; throws a 400 whose issues
 * name each offending element in `expression`.
 */
export function validateFhirResource(resource: FhirResource): void {
  let issues: OperationOutcomeIssue[];
  try {
    issues = (validateResource(resource as never) as OperationOutcomeIssue[]).filter(
      (i) => i.severity === 'error' || i.severity === 'fatal',
    );
  } catch (e) {
    const outcome = (e as { outcome?: { issue?: OperationOutcomeIssue[] } }).outcome;
    if (!outcome?.issue) throw e;
    issues = outcome.issue;
  }
  issues.push(...checkRequiredBindings(resource));
  if (issues.length === 0) return;
  throw invalid(issues.map((i) => ({ ...i, diagnostics: i.details?.text ?? i.diagnostics })));
}
