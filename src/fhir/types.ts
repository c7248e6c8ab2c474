/**
 * The FHIR R4 shapes this module handles by name. The storage and the REST layer handle any
 * resource as open JSON (FhirResource): its structure is checked against the StructureDefinitions
 * (validate.ts), not by TypeScript. Code that knows which type it reads or writes uses the R4
 * types of @medplum/fhirtypes (type-only) through ResourceOf and AnyResource.
 */
import type { Coding, ExtractResource, Meta, Resource, ResourceType } from '@medplum/fhirtypes';

export type { Coding, Meta };

export interface FhirResource {
  resourceType: string;
  id?: string;
  meta?: Meta;
  [key: string]: unknown;
}

/**
 * A resource of a type named at compile time (`read('Patient', id)`), as the repository and the
 * clients return it: its R4 type over the open JSON. Only the resourceType is checked at run time:
 * what our server stored was validated, but a resource from an external server was not, so
 * readers of such data still narrow (context/fhir-read.ts).
 */
export type ResourceOf<K extends string> = K extends ResourceType ? ExtractResource<K> & FhirResource : FhirResource;

/** What a write accepts: a typed R4 resource or open JSON. */
export type AnyResource = FhirResource | Resource;

/** A typed resource seen as the open JSON the storage handles (every R4 resource is one). */
export const openResource = <T extends AnyResource>(resource: T): T & FhirResource => resource as T & FhirResource;

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
