/**
 * mapEndpoint: a DICOMweb service base URL → the Endpoint ImagingStudy.endpoint points to.
 * The address is the service base only (no `/studies…`, query or trailing slash), and the
 * identifier is that address, so the sync service upserts one Endpoint per service.
 */
import type { MappedEndpoint } from './fhir-types.js';
import { ENDPOINT_CONNECTION_TYPE_SYSTEM, RFC3986_SYSTEM } from './systems.js';

/** `https://pacs/dicomweb/studies/1.2?x#y` → `https://pacs/dicomweb` (credentials dropped). Throws for a non-HTTP(S) URL. */
export function dicomWebBase(url: string): string {
  const parsed = new URL(url.trim());
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new Error(`mapEndpoint: not an http(s) URL: ${url}`);
  parsed.username = '';
  parsed.password = '';
  parsed.search = '';
  parsed.hash = '';
  parsed.pathname = parsed.pathname.replace(/\/studies(\/.*)?$/, '').replace(/\/+$/, '');
  return parsed.toString().replace(/\/+$/, '');
}

export function mapEndpoint(dicomWebBaseUrl: string): MappedEndpoint {
  const address = dicomWebBase(dicomWebBaseUrl);
  return {
    resourceType: 'Endpoint',
    identifier: [{ system: RFC3986_SYSTEM, value: address }],
    status: 'active',
    connectionType: { system: ENDPOINT_CONNECTION_TYPE_SYSTEM, code: 'dicom-wado-rs' },
    name: `DICOMweb WADO-RS ${address}`,
    payloadType: [{ text: 'DICOM WADO-RS' }],
    payloadMimeType: ['application/dicom'],
    address,
  };
}
