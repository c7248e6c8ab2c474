/**
 * The assessment against servers that are not what they should be, each served for real on a
 * loopback socket: STU3 and R5 CapabilityStatements, a CapabilityStatement without ImagingStudy,
 * an HTML page, a server that never answers, a self-signed certificate, nothing listening, an
 * unknown host. Each is a clear finding, never a crash; exit codes 0 / 1 / 2 from the CLI.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assess } from '../src/assessment/index.js';
import type { Assessment } from '../src/assessment/types.js';
import { runCli } from './support/assess-cli.js';
import { opensslAvailable } from './support/openssl.js';
import { freePort } from './support/ports.js';

const resource = (type: string) => ({
  type,
  interaction: [{ code: 'read' }, { code: 'search-type' }, { code: 'create' }, { code: 'update' }],
  searchParam: [
    { name: 'identifier' },
    { name: 'patient' },
    { name: 'started' },
    { name: 'modality' },
    { name: 'date' },
    { name: 'code' },
  ],
});
const capability = (fhirVersion: string, types: string[]) => ({
  resourceType: 'CapabilityStatement',
  status: 'active',
  fhirVersion,
  format: ['json'],
  software: { name: 'Fixture FHIR', version: '0.1' },
  rest: [{ mode: 'server', resource: types.map(resource), interaction: [{ code: 'transaction' }, { code: 'batch' }] }],
});
const ALL = ['ImagingStudy', 'Patient', 'Endpoint', 'DiagnosticReport', 'Observation'];

function fixture(req: IncomingMessage, res: ServerResponse): void {
  const send = (status: number, type: string, body: string): void => {
    res.writeHead(status, { 'content-type': type }).end(body);
  };
  const path = (req.url ?? '').split('?')[0];
  if (path === '/stu3/metadata') return send(200, 'application/fhir+json', JSON.stringify(capability('3.0.2', ALL)));
  if (path === '/r5/metadata') return send(200, 'application/fhir+json', JSON.stringify(capability('5.0.0', ALL)));
  if (path === '/noimaging/metadata')
    return send(200, 'application/fhir+json', JSON.stringify(capability('4.0.1', ['Patient', 'Observation'])));
  if (path === '/html/metadata') return send(200, 'text/html', '<!doctype html><html><body>Sign in</body></html>');
  if (path.startsWith('/slow/')) return; // never answers
  send(404, 'application/json', '{}');
}

describe('assess: servers that are not what they should be', () => {
  let http: Server;
  let https: Server | undefined;
  let base: string;
  let tlsBase: string | undefined;
  let dir: string;
  const now = new Date();
  const run = (fhir: string, timeoutMs = 3000): Promise<Assessment> =>
    assess(
      { fhir: { url: fhir }, callingAe: 'IMGBRIDGE' },
      { since: new Date(now.getTime() - 30 * 86_400_000), timeoutMs, probeStow: false, now },
    );

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ib-assess-'));
    http = createHttpServer(fixture);
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
    if (opensslAvailable()) {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-subj',
          '/CN=localhost',
          '-days',
          '2',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
        ],
        { stdio: 'ignore' },
      );
      https = createHttpsServer(
        { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
        fixture,
      );
      await new Promise<void>((r) => https!.listen(0, '127.0.0.1', r));
      tlsBase = `https://localhost:${(https.address() as { port: number }).port}`;
    }
  });
  afterAll(() => {
    http?.closeAllConnections();
    http?.close();
    https?.closeAllConnections();
    https?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('detects STU3 and says ImagingStudy will need conversion', async () => {
    const a = await run(`${base}/stu3`);
    expect(a.fhir).toMatchObject({
      reachable: true,
      fhirVersion: '3.0.2',
      release: 'STU3',
      software: 'Fixture FHIR 0.1',
      transaction: true,
    });
    expect(a.findings[0]).toMatchObject({
      area: 'fhir',
      level: 'blocker',
      message: expect.stringContaining('The EHR speaks STU3 (3.0.2): ImagingStudy will need conversion'),
    });
    expect(a.readiness.fhir).toBe('blocked');
  });

  it('detects R5 and names the ImagingStudy changes', async () => {
    const a = await run(`${base}/r5`);
    expect(a.fhir).toMatchObject({ fhirVersion: '5.0.0', release: 'R5' });
    const f = a.findings.find((x) => x.message.includes('R5 (5.0.0)'));
    expect(f).toMatchObject({ area: 'fhir', level: 'warning' });
    expect(f?.message).toContain('series.modality and modality are CodeableConcepts');
    expect(a.readiness.fhir).toBe('partial');
  });

  it('reports a CapabilityStatement without ImagingStudy as a blocker', async () => {
    const a = await run(`${base}/noimaging`);
    expect(a.fhir?.resources.ImagingStudy).toBeNull();
    expect(a.fhir?.resources.Patient?.interactions).toEqual(['read', 'search-type', 'create', 'update']);
    expect(a.findings[0]).toMatchObject({
      level: 'blocker',
      message: expect.stringContaining('lists no ImagingStudy'),
    });
  });

  it('reports an HTML answer as not FHIR, with the base URL to check', async () => {
    const a = await run(`${base}/html`);
    expect(a.fhir).toMatchObject({ reachable: true });
    expect(a.fhir?.checks[0]).toMatchObject({
      name: 'metadata',
      status: 'failed',
      httpStatus: 200,
      detail: expect.stringContaining('answers HTML'),
    });
    expect(a.findings[0]).toMatchObject({ level: 'blocker', nextStep: expect.stringContaining('FHIR base URL') });
  });

  it('reports a server that never answers as a timeout within --timeout', async () => {
    const started = Date.now();
    const a = await run(`${base}/slow`, 800);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(a.fhir).toMatchObject({ reachable: false });
    expect(a.fhir?.checks[0]).toMatchObject({ status: 'failed', detail: 'no answer in time' });
    expect(a.findings[0]).toMatchObject({ level: 'blocker', nextStep: expect.stringContaining('--timeout') });
  });

  it('reports nothing listening and an unknown host in words', async () => {
    const closed = await freePort();
    const refused = await run(`http://127.0.0.1:${closed}/fhir`);
    expect(refused.fhir?.checks[0]?.detail).toBe('connection refused (nothing listens there)');
    expect(refused.readiness.fhir).toBe('blocked');
    const dns = await run('http://no-such-host.invalid/fhir');
    expect(dns.fhir?.checks[0]?.detail).toMatch(/^host name not found/);
  });

  it.skipIf(!opensslAvailable())('reports a self-signed certificate as untrusted, with its expiry', async () => {
    const a = await run(`${tlsBase}/stu3`);
    expect(a.fhir?.tls).toMatchObject({ trusted: false, daysLeft: expect.any(Number) });
    expect(a.fhir?.tls?.error).toMatch(/SELF_SIGNED|self.signed/i);
    expect(a.findings[0]).toMatchObject({
      area: 'security',
      level: 'blocker',
      message: expect.stringContaining('not trusted'),
    });
    expect(a.fhir?.reachable).toBe(false);
  });

  it('exits 0 when it ran whatever it found, 2 on bad arguments, 1 when it cannot write its report', async () => {
    const ran = await runCli(['assess', '--fhir', `${base}/html`, '--format', 'md', '--timeout', '2s']);
    expect(ran.code).toBe(0);
    expect(ran.stdout).toContain('# ImagingBridge readiness assessment');
    expect(ran.stdout).toContain('| FAILED | metadata |');
    for (const bad of [
      ['--dimse', 'not-a-target'],
      ['--format', 'pdf'],
      ['--since', 'yesterday'],
      ['--timeout', 'soon'],
      ['--fhir', 'ftp://x'],
      ['--no-such-flag'],
      ['--fhir-auth', 'bearer-file:/nonexistent/token', '--fhir', base],
    ]) {
      const r = await runCli(['assess', ...bad]);
      expect({ bad, code: r.code }).toEqual({ bad, code: 2 });
      expect(r.stderr).toMatch(/imaging-bridge assess: /);
    }
    const cannot = await runCli([
      'assess',
      '--fhir',
      `${base}/r5`,
      '--out',
      '/nonexistent-dir/report.html',
      '--format',
      'html',
    ]);
    expect(cannot.code).toBe(1);
    expect(cannot.stderr).toContain('cannot write /nonexistent-dir/report.html');
  }, 180_000);
});
