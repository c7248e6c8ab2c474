import { describe, expect, it } from 'vitest';
import { configErrorMessage } from '../../core/test-support.js';
import { parseFhirConfig } from '../config.js';
import { parseFhirServers } from './server-config.js';

const message = configErrorMessage;

describe('fhir.servers config', () => {
  it('reads a named server with defaults for what it leaves out', () => {
    const { servers } = parseFhirConfig({
      servers: {
        ehr: { baseUrl: 'https://ehr.example/fhir/R4/', auth: { type: 'bearer', token: 'abc.def' }, timeoutMs: 5000 },
      },
    });
    expect(servers.ehr).toEqual({
      name: 'ehr',
      baseUrl: 'https://ehr.example/fhir/R4',
      auth: { type: 'bearer', token: 'abc.def' },
      timeoutMs: 5000,
      retries: 3,
      retryBaseDelayMs: 500,
      retryMaxDelayMs: 30_000,
    });
    expect(parseFhirConfig(undefined).servers).toEqual({});
  });

  it('names the key that is wrong', () => {
    expect(message(() => parseFhirServers({ ehr: {} }))).toContain('"fhir.servers.ehr.baseUrl" is required');
    expect(message(() => parseFhirServers({ ehr: { baseUrl: 'ftp://x/fhir' } }))).toContain('must be http or https');
    expect(message(() => parseFhirServers({ ehr: { baseUrl: 'https://x/fhir?a=b' } }))).toContain(
      'must not carry a query',
    );
    expect(message(() => parseFhirServers({ ehr: { baseUrl: 'https://x/fhir', retries: 99 } }))).toContain(
      '"fhir.servers.ehr.retries" must be an integer from 0 to 10',
    );
    expect(message(() => parseFhirServers({ ehr: { baseUrl: 'https://x/fhir', timeout: 5 } }))).toContain(
      '"fhir.servers.ehr.timeout" is not known',
    );
    expect(message(() => parseFhirServers({ ehr: { baseUrl: 'https://x/fhir', auth: { type: 'basic' } } }))).toContain(
      '"fhir.servers.ehr.auth.type" must be "bearer", "smart-backend" or "none"',
    );
    expect(message(() => parseFhirServers({ 'bad name': { baseUrl: 'https://x/fhir' } }))).toContain('server name');
    expect(message(() => parseFhirConfig({ servers: [] }))).toContain('"fhir.servers" must be an object');
  });

  it('refuses a bearer token over plain http except to loopback, without repeating the token', () => {
    const text = message(() =>
      parseFhirServers({ ehr: { baseUrl: 'http://ehr.example/fhir', auth: { type: 'bearer', token: 's3cret' } } }),
    );
    expect(text).toContain('only sent over https');
    expect(text).not.toContain('s3cret');
    expect(
      parseFhirServers({ dev: { baseUrl: 'http://127.0.0.1:8080/fhir', auth: { type: 'bearer', token: 's3cret' } } })
        .dev.auth.type,
    ).toBe('bearer');
    expect(
      message(() => parseFhirServers({ ehr: { baseUrl: 'https://x/fhir', auth: { type: 'bearer', token: 'a b\n' } } })),
    ).not.toContain('a b');
  });
});
