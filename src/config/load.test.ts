import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { loadConfig } from './load.js';

describe('configuration', () => {
  it('defaults to loopback, port 8080, ./data and SMART authorization (secure by default) with a derived public URL', () => {
    const c = loadConfig({}, {});
    expect(c).toMatchObject({
      host: '127.0.0.1',
      httpPort: 8080,
      dicomPort: 11112,
      dataDir: './data',
      auth: 'smart',
      tokenLifetime: 300,
    });
    expect(c.publicUrl).toBe('http://127.0.0.1:8080');
  });

  it('takes flags over environment over config file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ httpPort: 9001, dicomPort: 9002, dataDir: '/file' }));
    const c = loadConfig({ config: file, 'http-port': '9100' }, { IMAGING_BRIDGE_DICOM_PORT: '9200' });
    expect(c.httpPort).toBe(9100);
    expect(c.dicomPort).toBe(9200);
    expect(c.dataDir).toBe('/file');
  });

  it('refuses auth none on a non-loopback host', () => {
    expect(() => loadConfig({ host: '0.0.0.0', auth: 'none' }, {})).toThrow(/loopback/);
    expect(loadConfig({ host: '0.0.0.0' }, {}).auth).toBe('smart');
  });

  it('derives an https public URL with TLS and wants certificate and key together', () => {
    expect(loadConfig({ 'tls-cert': '/c.pem', 'tls-key': '/k.pem' }, {}).publicUrl).toBe('https://127.0.0.1:8080');
    expect(() => loadConfig({ 'tls-cert': '/c.pem' }, {})).toThrow(/go together/);
    expect(() => loadConfig({ 'token-lifetime': '7200' }, {})).toThrow(/300/);
  });

  it('explains a bad port, enum and unknown key', () => {
    expect(() => loadConfig({ 'http-port': '70000' }, {})).toThrow(/port number/);
    expect(() => loadConfig({ 'duplicate-policy': 'overwrite' }, {})).toThrow(/reject, keep-newest/);
    expect(() => loadConfig({ bogus: '1' }, {})).toThrow(ConfigError);
  });

  it('takes the PostgreSQL database from --database or IMAGING_BRIDGE_DATABASE, and refuses another kind of URL', () => {
    expect(loadConfig({}, {}).database).toBeUndefined();
    expect(loadConfig({}, { IMAGING_BRIDGE_DATABASE: 'postgres://ib@db/ib' }).database).toBe('postgres://ib@db/ib');
    expect(loadConfig({ database: 'postgresql://ib@db/x' }, {}).database).toBe('postgresql://ib@db/x');
    expect(() => loadConfig({ database: 'mysql://ib@db/ib' }, {})).toThrow(/--database: expected a postgres:\/\//);
  });

  it("reads the config file's database as a URL, or as an object whose url is --database and lease a section", () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ database: { url: 'postgres://ib@db/ib', lease: { ttlSeconds: 6 } } }));
    const c = loadConfig({ config: file }, {});
    expect(c.database).toBe('postgres://ib@db/ib');
    expect(c.sections.database).toEqual({ lease: { ttlSeconds: 6 } });
    writeFileSync(file, JSON.stringify({ database: 'postgres://ib@db/x' }));
    expect(loadConfig({ config: file }, {}).database).toBe('postgres://ib@db/x');
    writeFileSync(file, JSON.stringify({ database: { url: 'mysql://ib@db/ib' } }));
    expect(() => loadConfig({ config: file }, {})).toThrow(/--database: expected a postgres:\/\//);
  });

  it('keeps an explicit public URL without its trailing slash', () => {
    expect(loadConfig({ 'public-url': 'https://pacs.example.org/bridge/' }, {}).publicUrl).toBe(
      'https://pacs.example.org/bridge',
    );
  });
});
