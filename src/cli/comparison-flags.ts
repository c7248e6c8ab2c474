import { type AssessTargets, parseDuration, parseSince, resolveTargets } from '../assessment/index.js';
import type { Config } from '../config/schema.js';

/** What `assess` and `reconcile` compare, from their shared flags. */
export interface Comparison {
  targets: AssessTargets;
  since: Date;
  timeoutMs: number;
}

/**
 * --fhir, --fhir-auth, --dicomweb, --dicomweb-header, --dimse (else the configuration's servers),
 * --since (default 30d) and --timeout (default 10s, at most 600 s). Throws OperationOutcomeError on
 * a bad value.
 */
export function comparisonFlags(
  values: Record<string, string | boolean | string[] | undefined>,
  config: Config,
  now: Date,
): Comparison {
  return {
    targets: resolveTargets(
      {
        fhir: values.fhir as string | undefined,
        fhirAuth: values['fhir-auth'] as string | undefined,
        dicomweb: values.dicomweb as string | undefined,
        dicomwebHeaders: values['dicomweb-header'] as string[] | undefined,
        dimse: values.dimse as string | undefined,
      },
      config,
    ),
    since: parseSince((values.since as string | undefined) ?? '30d', now),
    timeoutMs: parseDuration((values.timeout as string | undefined) ?? '10s', 'timeout', 600_000),
  };
}
