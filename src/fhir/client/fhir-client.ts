import type { AnyResource, Bundle, FhirResource, ResourceOf } from '../types.js';

/** Search parameters: repeated names are ANDed; a comma inside one value ORs (FHIR R4 search). */
export type SearchParams =
  | Record<string, string | number | readonly (string | number)[]>
  | readonly (readonly [string, string])[];

export interface PagingOptions {
  /** Stop after this many pages (default 100): a server whose `next` links never end cannot hang us. */
  maxPages?: number;
}

export interface SearchAllOptions extends PagingOptions {
  /** Stop once this many matches are collected (default 10,000). */
  maxResources?: number;
}

/**
 * A FHIR R4 server as the rest of ImagingBridge sees it, whether it is our embedded one (in
 * process, no HTTP) or a hospital's (HTTP). Every failure is a FhirClientError (errors.ts): an
 * error answer is a FhirServerError carrying the status and the server's OperationOutcome.
 */
export interface FhirClient {
  /** The server's FHIR base URL, without trailing slash. */
  readonly baseUrl: string;
  /** GET [base]/metadata. */
  capabilities(): Promise<FhirResource>;
  /** Typed by a literal type name (`read('Patient', id)`: a Patient); the server's answer is checked for its type only. */
  read<K extends string>(resourceType: K, id: string): Promise<ResourceOf<K>>;
  /** The first page of a search (a searchset Bundle). */
  search(resourceType: string, params?: SearchParams): Promise<Bundle>;
  /** The search's pages, following `next` links. */
  pages(resourceType: string, params?: SearchParams, options?: PagingOptions): AsyncIterable<Bundle>;
  /** The matches of every page (entries with search.mode `match`; includes are left out). */
  searchAll<K extends string>(
    resourceType: K,
    params?: SearchParams,
    options?: SearchAllOptions,
  ): Promise<ResourceOf<K>[]>;
  create<T extends AnyResource>(resource: T): Promise<T & FhirResource>;
  /** Conditional create (If-None-Exist): the one existing match, or the resource just created. */
  createIfNoneExist<T extends AnyResource>(
    resource: T,
    condition: SearchParams,
  ): Promise<{ resource: T & FhirResource; created: boolean }>;
  /** PUT [type]/[id]. With `ifMatch` (a versionId) a server whose current version differs answers 412. */
  update<T extends AnyResource>(resource: T, options?: { ifMatch?: string }): Promise<T & FhirResource>;
  /** POST [base] with a transaction (or batch) Bundle; the response Bundle. */
  transaction(bundle: Bundle): Promise<Bundle>;
}
