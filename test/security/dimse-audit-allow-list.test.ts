/**
 * DIMSE under --auth smart: only allow-listed calling AE titles associate, and the DIMSE
 * accesses are audited — one "instances transferred/imported" record per calling AE and
 * window for C-STOREs, naming each study stored, one record per C-FIND — with the calling AE as the actor (real DCMTK).
 */
import Database from 'better-sqlite3';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { waitFor } from '../support/wait.js';
import { ROOT, ctInstance } from '../../src/dicom/test-support.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { dcmtkAvailable, runDcmtk, storeFiles } from '../support/dcmtk.js';

const STUDY = `${ROOT}.55.${process.pid}`;
const STUDY_B = `${ROOT}.56.${process.pid}`;

describe.skipIf(!dcmtkAvailable(['echoscu', 'storescu', 'findscu']))(
  'DIMSE allow-list and audit trail (--auth smart)',
  () => {
    let server: TestServer;
    let dir: string;
    const events = (like: string) => {
      const db = new Database(join(server.dataDir, 'audit.sqlite'), { readonly: true });
      try {
        return (
          db.prepare('SELECT json FROM audit_record WHERE json LIKE ?').all(`%${like}%`) as { json: string }[]
        ).map((r) => JSON.parse(r.json));
      } finally {
        db.close();
      }
    };

    beforeAll(async () => {
      server = await startTestServer(
        { auth: 'smart' },
        { configFile: { dimse: { allow: [{ aet: 'MODALITY1', hosts: ['127.0.0.1'] }] } } },
      );
      dir = mkdtempSync(join(tmpdir(), 'ib-dimse-audit-'));
      for (let i = 1; i <= 3; i++)
        writeFileSync(
          join(dir, `i${i}.dcm`),
          ctInstance({ study: STUDY, series: `${STUDY}.1`, sop: `${STUDY}.1.${i}` }),
        );
      writeFileSync(join(dir, 'b1.dcm'), ctInstance({ study: STUDY_B, series: `${STUDY_B}.1`, sop: `${STUDY_B}.1.1` }));
    });
    afterAll(() => server?.stop());

    it('refuses a calling AE title that is not on the allow-list', async () => {
      const refused = await runDcmtk(
        'echoscu',
        ['-aet', 'INTRUDER', '-aec', 'IMGBRIDGE', '127.0.0.1', String(server.dicomPort)],
        { allowFailure: true },
      );
      expect(refused.code).not.toBe(0);
      const ok = await runDcmtk('echoscu', [
        '-aet',
        'MODALITY1',
        '-aec',
        'IMGBRIDGE',
        '127.0.0.1',
        String(server.dicomPort),
      ]);
      expect(ok.code).toBe(0);
    });

    it('records the stored study once per calling AE, and each C-FIND', async () => {
      const stored = await storeFiles('127.0.0.1', server.dicomPort, 'IMGBRIDGE', [dir], { callingAet: 'MODALITY1' });
      expect(stored.code, stored.stderr).toBe(0);
      const importsOf = (study: string) =>
        waitFor(
          async () => {
            const e = events(study).filter(
              (x) =>
                x.subtype?.some((s: { code: string }) => s.code === 'C-STORE') ||
                JSON.stringify(x.type).includes('110107'),
            );
            return e.length ? e : undefined;
          },
          { timeoutMs: 10_000, what: 'the C-STORE audit record' },
        );
      // One record per calling AE and window names every study it stored (usually both of these).
      for (const study of [STUDY, STUDY_B]) {
        const imports = await importsOf(study);
        expect(imports).toHaveLength(1);
        expect(JSON.stringify(imports[0])).toContain('MODALITY1');
      }
      const find = await runDcmtk('findscu', [
        '-S',
        '-aet',
        'MODALITY1',
        '-aec',
        'IMGBRIDGE',
        '-k',
        'QueryRetrieveLevel=STUDY',
        '-k',
        `StudyInstanceUID=${STUDY}`,
        '127.0.0.1',
        String(server.dicomPort),
      ]);
      expect(find.code, find.stderr).toBe(0);
      const queries = events(STUDY).filter((x) => JSON.stringify(x.type).includes('110112'));
      expect(queries).toHaveLength(1);
      expect(queries[0].outcome).toBe('0');
    });
  },
);
