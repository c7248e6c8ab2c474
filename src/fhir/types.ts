/**
 * The few FHIR R4 shapes this module handles by name. Resources are otherwise open JSON:
 * their structure is checked against the StructureDefinitions (validate.ts), not by TypeScript.
 */
export interface Meta {
  versionId?: string;
  lastUpdated?: string;
  profile?: string[];
  tag?: Coding[];
  security?: Coding[];
  source?: string;
  [key: string]: unknown;
}

export interface Coding {
  system?: string;
  code?: string;
  display?: string;
}

export interface FhirResource {
  resourceType: string;
  id?: string;
  meta?: Meta;
  [key: string]: unknown;
}

export interface OperationOutcomeIssue {
  severity: 'fatal' | 'error' | 'warning' | 'information';
  code: string;
  diagnostics?: string;
  details?: { text?: string };
  expression?: string[];
}

export interface OperationOutcome extends FhirResource {
  resourceType: 'OperationOutcome';
  issue: OperationOutcomeIssue[];
}

export interface BundleLink {
  relation: string;
  url: string;
}

export interface BundleEntry {
  fullUrl?: string;
  resource?: FhirResource;
  search?: { mode: 'match' | 'include' | 'outcome' };
  request?: {
    method: string;
    url: string;
    ifMatch?: string;
    ifNoneMatch?: string;
    ifNoneExist?: string;
    ifModifiedSince?: string;
  };
  response?: { status: string; location?: string; etag?: string; lastModified?: string; outcome?: FhirResource };
}

export interface Bundle extends FhirResource {
  resourceType: 'Bundle';
  type: string;
  total?: number;
  link?: BundleLink[];
  entry?: BundleEntry[];
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
