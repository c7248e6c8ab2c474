/** Subscription.criteria (`ImagingStudy?modality=CT&status=available`) parsed for matching. */
export interface Criteria {
  resourceType: string;
  params: [string, string][];
}

/** Types whose writes never notify: our own status updates would notify about themselves. */
const NEVER = new Set(['Subscription', 'AuditEvent']);

/** The criteria, or why they cannot be used. The server's search validates type and parameters. */
export function parseCriteria(text: unknown): Criteria | string {
  if (typeof text !== 'string' || !text.trim())
    return 'criteria is required, e.g. ImagingStudy?modality=CT&status=available';
  const [type, query = ''] = text.trim().split(/\?(.*)/s, 2);
  if (!/^[A-Z][A-Za-z]+$/.test(type)) return `criteria: ${type} is not a FHIR resource type`;
  if (NEVER.has(type)) return `criteria: Subscriptions on ${type} are not supported`;
  const params = [...new URLSearchParams(query).entries()];
  for (const [name] of params)
    if (['_id', '_count', '_sort', '_include', '_revinclude', '_summary', '_elements'].includes(name))
      return `criteria: ${name} cannot be used in a Subscription`;
  return { resourceType: type, params };
}
