import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { parseSources } from './settings.js';

const dicomweb = { name: 'pacs', kind: 'dicomweb', url: 'http://pacs.example/dicom-web/' };
const dimse = { name: 'old-pacs', kind: 'dimse', host: '10.0.0.5', port: 104, aet: 'PACS' };

describe('parseSources', () => {
  it('accepts no section as no sources', () => {
    expect(parseSources(undefined)).toEqual([]);
  });

  it('fills defaults and trims the URL', () => {
    const [s] = parseSources([dicomweb]);
    expect(s).toMatchObject({
      kind: 'dicomweb',
      url: 'http://pacs.example/dicom-web',
      mode: 'copy',
      pollSeconds: 10,
      lookbackDays: 2,
      reconcileHours: 24,
      reconcileDays: 30,
      headers: {},
      endpoint: 'ours',
    });
    expect(parseSources([{ ...dicomweb, endpoint: 'source' }])[0]).toMatchObject({ endpoint: 'source' });
  });

  it('reads a DIMSE source with C-GET by default', () => {
    const [s] = parseSources([{ ...dimse, mode: 'metadata-only' }]);
    expect(s).toMatchObject({
      kind: 'dimse',
      host: '10.0.0.5',
      port: 104,
      aet: 'PACS',
      retrieve: 'c-get',
      tls: false,
      mode: 'metadata-only',
    });
  });

  it.each([
    ['a non-list', { name: 'x' }, /must be a list/],
    ['an unknown kind', [{ ...dicomweb, kind: 'ftp' }], /sources"\[0\]\.kind: expected "dicomweb" or "dimse"/],
    ['an unknown key', [{ ...dicomweb, port: 104 }], /sources"\[0\]\.port: unknown key for a dicomweb source/],
    ['a bad mode', [{ ...dicomweb, mode: 'mirror' }], /mode: expected "copy" or "metadata-only"/],
    ['a bad endpoint', [{ ...dicomweb, endpoint: 'pacs' }], /endpoint: expected "ours" or "source"/],
    ['an endpoint on a DIMSE source', [{ ...dimse, endpoint: 'ours' }], /endpoint: a dimse source has no DICOMweb/],
    ['a bad URL', [{ ...dicomweb, url: 'ftp://x' }], /url: expected the http\(s\) base URL/],
    ['a missing AE title', [{ ...dimse, aet: undefined }], /aet: expected the PACS's AE title/],
    ['a bad port', [{ ...dimse, port: 70000 }], /port: expected a port number/],
    ['a bad retrieve', [{ ...dimse, retrieve: 'wado' }], /retrieve: expected "c-get" or "c-move"/],
    ['a zero poll interval', [{ ...dicomweb, pollSeconds: 0 }], /pollSeconds: expected a number from 0.05/],
    [
      'a reconcile window shorter than the look-back',
      [{ ...dicomweb, lookbackDays: 10, reconcileDays: 5 }],
      /reconcileDays: must cover at least lookbackDays/,
    ],
    ['a name used twice', [dicomweb, { ...dimse, name: 'pacs' }], /sources"\[1\]\.name: "pacs" is used twice/],
    ['a name with a slash', [{ ...dicomweb, name: 'a/b' }], /name: expected 1-64 letters/],
  ])('refuses %s with a ConfigError naming the key', (_what, section, message) => {
    expect(() => parseSources(section)).toThrow(ConfigError);
    expect(() => parseSources(section)).toThrow(message);
  });
});
