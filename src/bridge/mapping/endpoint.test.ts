import { describe, expect, it } from 'vitest';
import { mapEndpoint } from './endpoint.js';
import { expectValidR4 } from './test-support.js';

describe('mapEndpoint', () => {
  it('builds a valid WADO-RS Endpoint for the service base URL', () => {
    const e = mapEndpoint('https://pacs.example.org/dicomweb');
    expect(e).toMatchObject({
      status: 'active',
      connectionType: {
        system: 'http://terminology.hl7.org/CodeSystem/endpoint-connection-type',
        code: 'dicom-wado-rs',
      },
      payloadType: [{ text: 'DICOM WADO-RS' }],
      payloadMimeType: ['application/dicom'],
      address: 'https://pacs.example.org/dicomweb',
    });
    expect(e.name).toContain('https://pacs.example.org/dicomweb');
    expectValidR4(e);
  });

  it('strips /studies paths, queries, trailing slashes and credentials from the address', () => {
    expect(mapEndpoint('https://u:p@pacs/dicom-web/studies/1.2.3/series?x=1#f').address).toBe('https://pacs/dicom-web');
    expect(mapEndpoint('http://localhost:8042/dicomweb/').address).toBe('http://localhost:8042/dicomweb');
  });

  it('gives the same identifier for the same service, so it is upserted', () => {
    expect(mapEndpoint('https://pacs/dicomweb/').identifier).toEqual(mapEndpoint('https://pacs/dicomweb').identifier);
  });

  it('rejects URLs that are not http(s)', () => {
    expect(() => mapEndpoint('ftp://pacs/dicomweb')).toThrow();
  });
});
