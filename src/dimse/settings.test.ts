import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { parseDimseSettings } from './settings.js';

const core = { dicomAet: 'IMGBRIDGE', host: '127.0.0.1', dicomPort: 11112, auth: 'none' };

describe('sections.dimse validation', () => {
  it('has working defaults without a section (any calling AE on loopback)', () => {
    const s = parseDimseSettings(core, undefined);
    expect(s).toMatchObject({ aeTitle: 'IMGBRIDGE', maxPduLength: 262_144, maxAssociations: 32, allow: undefined });
    expect(s.peers.size).toBe(0);
  });

  it('reads peers and allow rules', () => {
    const s = parseDimseSettings(core, {
      peers: { VIEWER: { host: 'viewer.local', port: 104 } },
      allow: [{ aet: 'CT1', hosts: ['10.0.0.5', '::1'] }],
      maxAssociations: 4,
    });
    expect(s.peers.get('VIEWER')).toEqual({ host: 'viewer.local', port: 104, tls: false });
    expect(s.allow).toEqual([{ aet: 'CT1', hosts: ['10.0.0.5', '::1'] }]);
  });

  it.each([
    [{ bogus: 1 }, /unknown key "bogus"/],
    [{ maxPduLength: 100 }, /maxPduLength: expected an integer from 4096/],
    [{ peers: { VIEWER: { host: 'v', port: 70000 } } }, /peers.VIEWER.port/],
    [{ peers: { MUCH_TOO_LONG_AE_TITLE: { host: 'v', port: 104 } } }, /not an AE title/],
    [{ allow: [{ aet: 'CT1', hosts: ['ct1.hospital'] }] }, /not an IP address/],
    [{ peers: { V: { host: 'v', port: 104, tls: true } } }, /needs "dimse".tls/],
    [{ tls: { cert: '/nonexistent.pem', key: '/nonexistent.key' } }, /cannot read \/nonexistent.pem/],
  ])('refuses %j with a clear ConfigError', (section, message) => {
    expect(() => parseDimseSettings(core, section)).toThrow(ConfigError);
    expect(() => parseDimseSettings(core, section)).toThrow(message);
  });

  it('accepts no calling AE without an allow list unless --auth none, and wants a valid AE title', () => {
    expect(parseDimseSettings({ ...core, auth: 'smart' }, {}).allow).toEqual([]);
    expect(parseDimseSettings({ ...core, auth: 'none' }, {}).allow).toBeUndefined();
    expect(() => parseDimseSettings({ ...core, dicomAet: 'BAD\\AE' }, {})).toThrow(/--dicom-aet/);
  });

  it('reads the TLS files at start-up', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ib-tls-conf-'));
    for (const f of ['c.pem', 'k.pem']) writeFileSync(join(dir, f), 'PEM');
    const s = parseDimseSettings(core, { tls: { cert: join(dir, 'c.pem'), key: join(dir, 'k.pem') } });
    expect(s.tls?.cert.toString()).toBe('PEM');
    expect(s.tls?.ca).toBeUndefined();
  });
});
