/** The patient context as a FHIR R4 Bundle of type collection (Accept: application/fhir+json). */
import type { Bundle, BundleEntry, FhirResource } from '../fhir/types.js';
import type { Assembled } from './assemble.js';

/**
 * The same content as the JSON document: the resources every section was built from (Patient
 * first), and an OperationOutcome listing each query that failed, was truncated or denied —
 * a partial Bundle says so.
 */
export function contextBundle(assembled: Assembled, fhirBase: string, timestamp: string): Bundle {
  const entry: BundleEntry[] = assembled.resources.map((r) => ({
    fullUrl: `${fhirBase}/${r.resourceType}/${r.id}`,
    resource: r,
  }));
  const issues = assembled.context.sources
    .filter((s) => s.status !== 'ok')
    .map((s) => ({
      severity: s.status === 'truncated' ? 'warning' : 'error',
      code:
        s.status === 'timeout'
          ? 'timeout'
          : s.status === 'denied'
            ? 'forbidden'
            : s.status === 'truncated'
              ? 'too-costly'
              : 'exception',
      diagnostics: `${s.section}: ${s.request} on ${s.server}: ${s.status}${s.error ? ` (${s.error})` : ''}`,
    }));
  if (issues.length) entry.push({ resource: { resourceType: 'OperationOutcome', issue: issues } as FhirResource });
  return { resourceType: 'Bundle', type: 'collection', timestamp, entry };
}
