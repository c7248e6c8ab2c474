import { describe, expect, it } from 'vitest';
import { assessCapabilities } from './capability-check.js';
import { parseBridgeConfig, sourceSettings } from './config.js';

const message = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  return '';
};

describe('bridge config', () => {
  it('takes bridge.thread as true or false, nothing else', () => {
    expect(parseBridgeConfig({ thread: true }, []).thread).toBe(true);
    expect(parseBridgeConfig({ thread: false }, []).thread).toBe(false);
    expect(message(() => parseBridgeConfig({ thread: 'yes' }, []))).toBe(
      'config "bridge.thread" must be true or false',
    );
  });

  it('defaults to the embedded server, policy create and a non-empty patient system', () => {
    const c = parseBridgeConfig(undefined, []);
    expect(c).toMatchObject({
      target: 'embedded',
      patientPolicy: 'create',
      defaultPatientSystem: 'urn:imaging-bridge:patient-id',
    });
  });

  it('takes a named external server and per-source settings over the defaults', () => {
    const c = parseBridgeConfig(
      {
        target: 'ehr',
        defaultPatientSystem: 'urn:oid:1.2.3',
        sources: {
          CT1: { defaultPatientSystem: 'urn:oid:9.9', timezone: 'Europe/Berlin', modalitySynonyms: { XRAY: 'CR' } },
        },
      },
      ['ehr'],
    );
    expect(sourceSettings(c, 'CT1')).toMatchObject({
      defaultPatientSystem: 'urn:oid:9.9',
      timezone: 'Europe/Berlin',
      modalitySynonyms: { XRAY: 'CR' },
    });
    expect(sourceSettings(c, 'OTHER').defaultPatientSystem).toBe('urn:oid:1.2.3');
  });

  it('names the key that is wrong', () => {
    expect(message(() => parseBridgeConfig({ target: 'nowhere' }, ['ehr']))).toContain(
      '"bridge.target" must be "embedded" or a server named in fhir.servers (ehr)',
    );
    expect(message(() => parseBridgeConfig({ defaultPatientSystem: '' }, []))).toContain(
      '"bridge.defaultPatientSystem" must be an absolute URI',
    );
    expect(message(() => parseBridgeConfig({ sources: { CT1: { severity: { dates: 'fatal' } } } }, []))).toContain(
      '"bridge.sources.CT1.severity.dates" must be one of',
    );
    expect(message(() => parseBridgeConfig({ debounce: 5 }, []))).toContain('"bridge.debounce" is not known');
    expect(message(() => parseBridgeConfig({ timezone: 'Mars/Olympus' }, []))).toContain('IANA time zone');
  });
});

describe('capability check', () => {
  const base = { checkedAt: 't', target: 'ehr', baseUrl: 'http://x/fhir' };
  const resource = (type: string, codes: string[]) => ({ type, interaction: codes.map((code) => ({ code })) });

  it('accepts an R4 server with ImagingStudy, Patient and Endpoint writes and transactions', () => {
    const cs = {
      resourceType: 'CapabilityStatement',
      fhirVersion: '4.0.1',
      rest: [
        {
          mode: 'server',
          interaction: [{ code: 'transaction' }],
          resource: [
            resource('ImagingStudy', ['read', 'create', 'update', 'search-type']),
            resource('Patient', ['read', 'create', 'search-type']),
            resource('Endpoint', ['create', 'search-type']),
          ],
        },
      ],
    };
    expect(assessCapabilities(cs, base)).toMatchObject({ usable: true, transaction: true, problems: [] });
  });

  it('says clearly what is missing', () => {
    const cs = {
      resourceType: 'CapabilityStatement',
      fhirVersion: '3.0.2',
      rest: [{ mode: 'server', resource: [resource('ImagingStudy', ['read', 'search-type'])] }],
    };
    const report = assessCapabilities(cs, base);
    expect(report.usable).toBe(false);
    expect(report.problems).toEqual([
      'fhirVersion is 3.0.2; the bridge writes R4 (4.0.x)',
      'ImagingStudy lacks create, update',
      'Patient is not supported',
      'Endpoint is not supported',
      'no transaction support: Patient and ImagingStudy are written one request at a time',
    ]);
  });
});
