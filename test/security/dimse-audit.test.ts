/**
 * Finding 7 (DIMSE part): accesses that were not audited, and disclosure before the record.
 * Real DCMTK against the server under --auth smart with the demo data:
 * - a refused association (calling AE not allowed, called AE not ours) leaves a Security Alert
 *   / Node Authentication record;
 * - C-FIND and C-GET write their record before the first match or instance leaves: with the
 *   audit database locked by another process (a real SQLite write lock, so the writer's commit
 *   fails after its busy timeout, 1 s here instead of the default 5 s: each refused request waits
 *   it out twice, for its record and the record of the refusal; the projection's watermark does
 *   not wait, chain-store-busy.test.ts), the request is refused (0xA700 / 0xA701) and nothing is
 *   disclosed; once the lock is gone the same requests answer, and their records are there.
 */
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait.js';
import type { Json } from '../support/http.js';
import { dcmtkAvailable, runDcmtk } from '../support/dcmtk.js';
import { freePort } from '../support/ports.js';
import { spawnManaged, type ManagedProcess } from '../support/process.js';
import { opensslAvailable } from '../support/openssl.js';
import { startSmartBench, type SmartBench } from './harness.js';

const AET = 'IMGBRIDGE';
const codes = (e: Json): string[] => [e.type?.code, ...((e.subtype ?? []) as Json[]).map((s) => s.code)];

describe.skipIf(!dcmtkAvailable(['echoscu', 'findscu', 'getscu', 'movescu', 'storescp']))(
  'DIMSE: refused associations are audited; no match leaves before its record',
  () => {
    let bench: SmartBench;
    let study: string;
    let destPort: number;
    let storescp: ManagedProcess | undefined;
    const port = () => String(bench.server.dicomPort);

    beforeAll(async () => {
      destPort = await freePort();
      bench = await startSmartBench({
        configFile: {
          dimse: {
            allow: [{ aet: 'VIEWER', hosts: ['127.0.0.1'] }],
            peers: { WORKSTATION: { host: '127.0.0.1', port: destPort } },
          },
        },
        server: { config: { auditBusyTimeoutMs: 1_000 } },
      });
      const [first] = await bench.patientsWithImaging(1);
      study = first!.studies[0]!;
    }, 120_000);
    afterAll(async () => {
      await storescp?.stop();
      await bench?.stop();
    });

    it('records an association refused for its calling AE title, and one for a called AE title that is not ours', async () => {
      const before = bench.auditHead();
      const intruder = await runDcmtk('echoscu', ['-aet', 'INTRUDER', '-aec', AET, '127.0.0.1', port()], {
        allowFailure: true,
      });
      expect(intruder.code).not.toBe(0);
      const wrongCalled = await runDcmtk('echoscu', ['-aet', 'VIEWER', '-aec', 'SOMEONE', '127.0.0.1', port()], {
        allowFailure: true,
      });
      expect(wrongCalled.code).not.toBe(0);
      const alerts = await waitFor(
        async () => {
          const found = bench.auditSince(before).filter((e) => codes(e).includes('110126'));
          return found.length >= 2 ? found : undefined;
        },
        { timeoutMs: 10_000, what: 'the Node Authentication records' },
      );
      const byReason = new Map(alerts.map((e) => [codes(e)[2], e]));
      expect(byReason.get('calling-ae-not-allowed')).toMatchObject({
        type: { code: '110113', display: 'Security Alert' },
        outcome: '4',
        outcomeDesc: expect.stringContaining('INTRUDER'),
        agent: expect.arrayContaining([
          expect.objectContaining({ altId: 'INTRUDER', requestor: true, network: { address: '127.0.0.1', type: '2' } }),
        ]),
      });
      expect(byReason.get('called-ae-not-recognized')).toMatchObject({
        outcome: '4',
        outcomeDesc: expect.stringContaining('SOMEONE'),
      });
    });

    /** Holds the audit database's write lock (as another process would) while `run` goes on. */
    async function withAuditLocked<T>(run: () => Promise<T>): Promise<T> {
      const db = new Database(join(bench.server.dataDir, 'audit.sqlite'));
      db.exec('BEGIN IMMEDIATE');
      try {
        return await run();
      } finally {
        db.exec('ROLLBACK');
        db.close();
      }
    }

    const find = () =>
      runDcmtk(
        'findscu',
        [
          '-v',
          '-S',
          '-aet',
          'VIEWER',
          '-aec',
          AET,
          '-k',
          'QueryRetrieveLevel=STUDY',
          '-k',
          `StudyInstanceUID=${study}`,
          '-k',
          'PatientName',
          '-k',
          'PatientID',
          '127.0.0.1',
          port(),
        ],
        { allowFailure: true },
      );

    it('refuses a C-FIND with 0xA700 and discloses no match when its record cannot be written', async () => {
      const before = bench.auditHead();
      const refused = await withAuditLocked(find);
      const out = refused.stdout + refused.stderr;
      expect(out).not.toMatch(/Find Response.*Pending/i); // not one match
      expect(out).toMatch(/Received Final Find Response \(Refused: OutOfResources\)/);
      // The same request answers once the audit trail works again, and its record is in the chain.
      const answered = await find();
      expect(answered.stdout + answered.stderr).toMatch(/Find Response.*Pending/i);
      expect(answered.stdout + answered.stderr).toContain(study);
      const queries = bench.auditSince(before).filter((e) => codes(e).includes('C-FIND'));
      expect(queries.length).toBeGreaterThanOrEqual(1);
      expect(queries.at(-1)).toMatchObject({
        type: { code: '110112' },
        outcome: '0',
        agent: expect.arrayContaining([expect.objectContaining({ altId: 'VIEWER' })]),
      });
    }, 60_000);

    it('refuses a C-GET with 0xA701 and sends no instance when its record cannot be written', async () => {
      const out = mkdtempSync(join(tmpdir(), 'ib-dimse-audit-get-'));
      const get = () =>
        runDcmtk(
          'getscu',
          [
            '-v',
            '-S',
            '-aet',
            'VIEWER',
            '-aec',
            AET,
            '-od',
            out,
            '-k',
            'QueryRetrieveLevel=STUDY',
            '-k',
            `StudyInstanceUID=${study}`,
            '127.0.0.1',
            port(),
          ],
          { allowFailure: true },
        );
      const before = bench.auditHead();
      const refused = await withAuditLocked(get);
      expect(refused.stdout + refused.stderr).toMatch(
        /Received C-GET Response \(Refused: OutOfResourcesNumberOfMatches\)/,
      );
      expect(readdirSync(out)).toEqual([]);
      const answered = await get();
      expect(answered.code, answered.stderr).toBe(0);
      expect(readdirSync(out).length).toBeGreaterThan(0);
      const gets = bench.auditSince(before).filter((e) => codes(e).includes('C-GET'));
      expect(gets.at(-1)).toMatchObject({ type: { code: '110104' }, outcome: '0' });
      expect(JSON.stringify(gets.at(-1))).toContain(study);
    }, 60_000);
    it('refuses a C-MOVE with 0xA701 and sends nothing to the destination when its record cannot be written', async () => {
      const out = mkdtempSync(join(tmpdir(), 'ib-dimse-audit-move-'));
      storescp = spawnManaged('storescp', ['-aet', 'WORKSTATION', '-od', out, '+xa', String(destPort)], {
        cwd: out,
        name: 'storescp',
      });
      await new Promise((r) => setTimeout(r, 500));
      const move = () =>
        runDcmtk(
          'movescu',
          [
            '-v',
            '-S',
            '-aet',
            'VIEWER',
            '-aec',
            AET,
            '-aem',
            'WORKSTATION',
            '-k',
            'QueryRetrieveLevel=STUDY',
            '-k',
            `StudyInstanceUID=${study}`,
            '127.0.0.1',
            port(),
          ],
          { allowFailure: true },
        );
      const before = bench.auditHead();
      const refused = await withAuditLocked(move);
      expect(refused.stdout + refused.stderr).toMatch(
        /Received Final Move Response \(Refused: OutOfResourcesNumberOfMatches\)/,
      );
      expect(readdirSync(out).filter((f) => !f.startsWith('.'))).toEqual([]);
      const answered = await move();
      expect(answered.stdout + answered.stderr).toContain('Received Final Move Response (Success)');
      expect(readdirSync(out).length).toBeGreaterThan(0);
      const moves = bench.auditSince(before).filter((e) => codes(e).includes('C-MOVE'));
      expect(moves.at(-1)).toMatchObject({
        type: { code: '110104' },
        outcome: '0',
        agent: expect.arrayContaining([expect.objectContaining({ altId: 'WORKSTATION' })]),
      });
    }, 60_000);
  },
);

describe.skipIf(!dcmtkAvailable(['echoscu']) || !opensslAvailable())(
  'DIMSE over TLS: a failed handshake is audited',
  () => {
    let bench: SmartBench;
    let dir: string;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'ib-dimse-audit-tls-'));
      const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
      ssl(
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        'ca.key',
        '-out',
        'ca.crt',
        '-days',
        '1',
        '-subj',
        '/CN=DIMSE Test CA',
      );
      ssl(
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        'server.key',
        '-out',
        'server.crt',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
      );
      bench = await startSmartBench({
        demo: false,
        configFile: {
          dimse: {
            allow: [{ aet: 'VIEWER', hosts: ['127.0.0.1'] }],
            tls: { cert: join(dir, 'server.crt'), key: join(dir, 'server.key'), ca: join(dir, 'ca.crt') },
          },
        },
      });
    }, 120_000);
    afterAll(() => bench?.stop());

    it('records a peer that speaks plain DICOM to the TLS port (no certificate) as a Node Authentication failure', async () => {
      const before = bench.auditHead();
      const plain = await runDcmtk(
        'echoscu',
        ['-aet', 'VIEWER', '-aec', AET, '127.0.0.1', String(bench.server.dicomPort)],
        { allowFailure: true },
      );
      expect(plain.code).not.toBe(0);
      const [alert] = await waitFor(
        async () => {
          const found = bench.auditSince(before).filter((e) => codes(e).includes('tls-handshake-failed'));
          return found.length ? found : undefined;
        },
        { timeoutMs: 10_000, what: 'the TLS failure record' },
      );
      expect(alert).toMatchObject({
        type: { code: '110113' },
        outcome: '4',
        outcomeDesc: expect.stringMatching(/^TLS handshake failed: /),
        agent: expect.arrayContaining([expect.objectContaining({ network: { address: '127.0.0.1', type: '2' } })]),
      });
    });
  },
);
