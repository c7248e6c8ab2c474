import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ctInstance, ROOT } from '../src/dicom/test-support.js';
import { json } from './support/http.js';
import { startTestServer, type TestServer } from './support/server.js';
import { dcmtkAvailable, runDcmtk } from './support/dcmtk.js';

function haveTlsTools(): boolean {
  if (!dcmtkAvailable(['echoscu', 'storescu'])) return false;
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return execFileSync('echoscu', ['--help'], { encoding: 'utf8' }).includes('--enable-tls');
  } catch {
    return false;
  }
}

/** A throw-away CA and a server and a client certificate signed by it (openssl CLI). */
function makeCertificates(dir: string): void {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '2',
    '-subj',
    '/CN=ImagingBridge Test CA',
  );
  for (const name of ['server', 'client']) {
    ssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=${name}`,
    );
    ssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '2',
    );
  }
}

describe.skipIf(!haveTlsTools())('DICOM TLS (PS3.15 B.1) with DCMTK', () => {
  let server: TestServer;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ib-dimse-tls-'));
    makeCertificates(dir);
    server = await startTestServer(
      {},
      {
        configFile: {
          dimse: { tls: { cert: join(dir, 'server.crt'), key: join(dir, 'server.key'), ca: join(dir, 'ca.crt') } },
        },
      },
    );
  });
  afterAll(async () => server?.stop());

  const tlsArgs = () => ['+tls', join(dir, 'client.key'), join(dir, 'client.crt'), '+cf', join(dir, 'ca.crt')];

  it('answers C-ECHO over TLS to a client with a certificate from the CA', async () => {
    const r = await runDcmtk('echoscu', [...tlsArgs(), '-aec', 'IMGBRIDGE', '127.0.0.1', String(server.dicomPort)]);
    expect(r.code).toBe(0);
  });

  it('stores over TLS', async () => {
    const sop = `${ROOT}.71.1.1`;
    const file = join(dir, 'ct.dcm');
    writeFileSync(file, ctInstance({ study: `${ROOT}.71`, series: `${ROOT}.71.1`, sop }));
    const r = await runDcmtk('storescu', [
      '-v',
      ...tlsArgs(),
      '-aec',
      'IMGBRIDGE',
      '127.0.0.1',
      String(server.dicomPort),
      file,
    ]);
    expect(r.stderr + r.stdout).toContain('Received Store Response (Success)');
    expect(await json(await fetch(`${server.dicomweb}/instances?SOPInstanceUID=${sop}`))).toHaveLength(1);
  });

  it('refuses a client without a certificate, and a plain TCP association', async () => {
    const anonymous = await runDcmtk(
      'echoscu',
      ['+tla', '+cf', join(dir, 'ca.crt'), '-aec', 'IMGBRIDGE', '127.0.0.1', String(server.dicomPort)],
      {
        allowFailure: true,
        timeoutMs: 20_000,
      },
    );
    expect(anonymous.code).not.toBe(0);
    const plain = await runDcmtk(
      'echoscu',
      ['-to', '5', '-ta', '5', '-aec', 'IMGBRIDGE', '127.0.0.1', String(server.dicomPort)],
      {
        allowFailure: true,
        timeoutMs: 20_000,
      },
    );
    expect(plain.code).not.toBe(0);
  });
});
