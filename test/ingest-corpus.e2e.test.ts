/**
 * The ingest corpus: files that real senders produce and that an archive must take, never
 * silently. Each is made by DCMTK (dump2dcm keeps a File Meta written in the dump even when it
 * disagrees with the data set, as a de-identification tool or an export leaves it; dcmconv -F
 * writes data sets without File Meta) and goes through STOW-RS and C-STORE (storescu) into the
 * real server: the answer, QIDO by the data set's UIDs, WADO-RS as a PS3.10 file read back by
 * dcmdump, C-GET (getscu: the data set alone), the data-quality findings and the FHIR ImagingStudy. A C-STORE whose command names
 * another instance than its data set is sent by our SCU over a real association (storescu
 * always takes the command's UIDs from the data set).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DicomStatus } from '../src/core/dicom-status.js';
import { bufferSource, datasetOffset, parseInstance } from '../src/dicom/index.js';
import { openAssociation } from '../src/dimse/scu/association.js';
import { rawDataset, requests } from '../src/dimse/dcmjs-dimse.js';
import { dcmtkAvailable, runDcmtk } from './support/dcmtk.js';
import { getJson, type Json } from './support/http.js';
import { multipartBody } from './support/multipart.js';
import { startTestServer, type TestServer } from './support/server.js';
import { waitFor } from './support/wait.js';

const haveDcmtk =
  dcmtkAvailable(['storescu', 'getscu', 'dcmdump', 'dump2dcm']) &&
  (() => {
    try {
      execFileSync('/usr/bin/dcmconv', ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
if (!haveDcmtk) console.warn('ingest-corpus.e2e: DCMTK (storescu, dcmdump, dump2dcm, dcmconv) not installed: skipped');

const ROOT = '1.2.826.0.1.3680043.10.1456.95';
const CT = '1.2.840.10008.5.1.4.1.1.2';
const SC = '1.2.840.10008.5.1.4.1.1.7';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const IMPLICIT_LE = '1.2.840.10008.1.2';
const EXPLICIT_BE = '1.2.840.10008.1.2.2';
const CONFIG = {
  bridge: {
    debounceMs: 50,
    minIntervalMs: 100,
    maxDelayMs: 400,
    pollMs: 20,
    retryBaseDelayMs: 200,
    retryMaxDelayMs: 1000,
  },
};

interface Uids {
  study: string;
  series: string;
  sop: string;
}

/** A small CT image as a DCMTK dump, with File Meta lines when the case writes its own. */
function ctDump(u: Uids, meta?: { sopClass?: string; sop?: string }): string {
  const metaLines = meta
    ? `(0002,0002) UI [${meta.sopClass ?? CT}]\n(0002,0003) UI [${meta.sop ?? u.sop}]\n(0002,0010) UI [${EXPLICIT_LE}]\n`
    : '';
  return `${metaLines}(0008,0005) CS [ISO_IR 100]
(0008,0016) UI [${CT}]
(0008,0018) UI [${u.sop}]
(0008,0020) DA [20240315]
(0008,0060) CS [CT]
(0010,0010) PN [Corpus^Carla]
(0010,0020) LO [PID-95]
(0020,000d) UI [${u.study}]
(0020,000e) UI [${u.series}]
(0020,0013) IS [1]
(0028,0002) US 1
(0028,0004) CS [MONOCHROME2]
(0028,0010) US 2
(0028,0011) US 2
(0028,0100) US 16
(0028,0101) US 12
(0028,0102) US 11
(0028,0103) US 0
(7fe0,0010) OW 0001\\0002\\0003\\0004
`;
}

interface CorpusCase {
  name: string;
  /** Writes the case's file for these UIDs into `dir`; returns its path. */
  make(dir: string, u: Uids): string;
  /** The transfer syntax it is stored and served in. */
  syntax: string;
  /** STOW-RS: the Warning Reason (0008,1196) expected, none for a plain success. */
  warning?: number;
  /** Tags of the `file-meta` data-quality findings it leaves after STOW-RS. */
  findings: string[];
}

const dump2dcm = (dir: string, u: Uids, meta?: Parameters<typeof ctDump>[1]): string => {
  const txt = join(dir, `${u.sop}.txt`);
  const out = join(dir, `${u.sop}.dcm`);
  writeFileSync(txt, ctDump(u, meta), 'latin1');
  execFileSync('/usr/bin/dump2dcm', [txt, out], { stdio: 'ignore' });
  return out;
};
const withoutMeta = (option: string) => (dir: string, u: Uids) => {
  const out = join(dir, `${u.sop}.raw`);
  execFileSync('/usr/bin/dcmconv', ['-F', option, dump2dcm(dir, u), out], { stdio: 'ignore' });
  return out;
};

const CASES: CorpusCase[] = [
  { name: 'a consistent file (control)', make: (d, u) => dump2dcm(d, u), syntax: EXPLICIT_LE, findings: [] },
  {
    name: 'a File Meta naming another SOP Instance',
    make: (d, u) => dump2dcm(d, u, { sop: `${u.sop}.99` }),
    syntax: EXPLICIT_LE,
    warning: DicomStatus.CoercionOfDataElements,
    findings: ['00020003'],
  },
  {
    name: 'a File Meta naming another SOP Class',
    make: (d, u) => dump2dcm(d, u, { sopClass: SC }),
    syntax: EXPLICIT_LE,
    warning: DicomStatus.DataSetDoesNotMatchSopClassWarning,
    findings: ['00020002'],
  },
  {
    name: 'a File Meta naming another SOP Class and Instance',
    make: (d, u) => dump2dcm(d, u, { sopClass: SC, sop: `${u.sop}.98` }),
    syntax: EXPLICIT_LE,
    warning: DicomStatus.DataSetDoesNotMatchSopClassWarning,
    findings: ['00020002', '00020003'],
  },
  { name: 'no File Meta, Explicit VR Big Endian', make: withoutMeta('+tb'), syntax: EXPLICIT_BE, findings: [] },
  { name: 'no File Meta, Explicit VR Little Endian', make: withoutMeta('+te'), syntax: EXPLICIT_LE, findings: [] },
  { name: 'no File Meta, Implicit VR Little Endian', make: withoutMeta('+ti'), syntax: IMPLICIT_LE, findings: [] },
];

const uidsOf = (channel: number, i: number): Uids => {
  const study = `${ROOT}.${channel}.${i + 1}`;
  return { study, series: `${study}.1`, sop: `${study}.1.1` };
};

/** The value of one element in dcmdump's output (without the brackets / the = of a UID name). */
function dumped(dump: string, tag: string): string | undefined {
  const line = dump.split('\n').find((l) => l.startsWith(`(${tag})`));
  return line?.match(/\[([^\]]*)\]/)?.[1];
}

describe.skipIf(!haveDcmtk)('ingest corpus: what scanners send, through STOW-RS and C-STORE', () => {
  let server: TestServer;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ib-corpus-'));
    server = await startTestServer({}, { configFile: CONFIG });
  });
  afterAll(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const qido = async (u: Uids): Promise<Json[]> =>
    (await getJson(`${server.dicomweb}/instances?SOPInstanceUID=${u.sop}&includefield=00080016`)).body;

  /**
   * WADO-RS as stored (transfer-syntax=*) and as Explicit VR LE; each written to a file and read
   * by dcmdump. `asReceived`: the syntax it was stored in and the file whose data set it must carry
   * byte for byte (over C-STORE, storescu converts to the syntax negotiated: not checked).
   */
  async function retrieveAndCheck(u: Uids, asReceived?: { syntax: string; file: Buffer }): Promise<void> {
    for (const accept of ['application/dicom; transfer-syntax=*', 'application/dicom']) {
      const res = await fetch(`${server.dicomweb}/studies/${u.study}/series/${u.series}/instances/${u.sop}`, {
        headers: { accept },
      });
      expect(res.status, accept).toBe(200);
      const bytes = Buffer.from(await res.arrayBuffer());
      const path = join(dir, `${u.sop}.served.dcm`);
      writeFileSync(path, bytes);
      const dump = execFileSync(
        '/usr/bin/dcmdump',
        ['-M', '+fo', '-q', '-Un', '+P', '0002,0002', '+P', '0002,0003', '+P', '0002,0010', path],
        {
          encoding: 'latin1',
        },
      );
      // A PS3.10 file (+fo: read as file format only) whose File Meta names the data set.
      expect(bytes.subarray(128, 132).toString('latin1')).toBe('DICM');
      expect(dumped(dump, '0002,0002') ?? dump).toBe(CT);
      expect(dumped(dump, '0002,0003')).toBe(u.sop);
      const asStored = accept.endsWith('=*');
      if (!asStored) expect(dumped(dump, '0002,0010')).toBe(EXPLICIT_LE);
      else if (asReceived) expect(dumped(dump, '0002,0010')).toBe(asReceived.syntax);
      else expect([EXPLICIT_LE, IMPLICIT_LE, EXPLICIT_BE]).toContain(dumped(dump, '0002,0010'));
      if (asStored && asReceived) {
        // The data set goes out exactly as received.
        const start = datasetOffset(bytes.subarray(0, 64 * 1024))!;
        const receivedStart = datasetOffset(asReceived.file.subarray(0, 64 * 1024))!;
        expect(bytes.subarray(start).equals(asReceived.file.subarray(receivedStart))).toBe(true);
      }
      expect(parseInstance(bufferSource(bytes)).json['00100020']).toEqual({ vr: 'LO', Value: ['PID-95'] });
    }
  }

  const imagingStudy = (u: Uids) =>
    waitFor(
      async () => {
        const { body } = await getJson(
          `${server.url}/fhir/ImagingStudy?identifier=${encodeURIComponent(`urn:dicom:uid|urn:oid:${u.study}`)}`,
        );
        return body.entry?.[0]?.resource as Json | undefined;
      },
      { timeoutMs: 30_000, what: `the ImagingStudy of ${u.study}` },
    );
  const fileMetaFindings = async (u: Uids): Promise<Json[]> =>
    ((await getJson(`${server.url}/api/data-quality?study=${u.study}`)).body.findings as Json[]).filter(
      (f) => f.rule === 'file-meta',
    );

  describe('STOW-RS', () => {
    CASES.forEach((c, i) => {
      it(`takes ${c.name}: ${c.warning ? `stored with Warning Reason 0x${c.warning.toString(16).toUpperCase()}` : 'stored'}, found by the data set's UIDs, served as a consistent PS3.10 file, in FHIR`, async () => {
        const u = uidsOf(1, i);
        const file = readFileSync(c.make(dir, u));
        const { body, contentType } = multipartBody([file]);
        const res = await fetch(`${server.dicomweb}/studies`, {
          method: 'POST',
          headers: { 'content-type': contentType },
          body,
        });
        const answer = (await res.json()) as Json;
        expect(res.status).toBe(c.warning ? 202 : 200);
        expect(answer['00081198']).toBeUndefined();
        const [item] = answer['00081199'].Value;
        expect(item['00081155'].Value).toEqual([u.sop]);
        expect(item['00081150'].Value).toEqual([CT]);
        if (c.warning) {
          expect(item['00081196']).toEqual({ vr: 'US', Value: [c.warning] });
          expect(res.headers.get('warning')).toMatch(
            new RegExp(`^299 imaging-bridge "0x${c.warning.toString(16).toUpperCase()}: `),
          );
        } else {
          expect(item['00081196']).toBeUndefined();
          expect(res.headers.get('warning')).toBeNull();
        }

        const found = await qido(u);
        expect(found).toHaveLength(1);
        expect(found[0]['0020000D'].Value).toEqual([u.study]);
        expect(found[0]['00080016'].Value).toEqual([CT]);
        await retrieveAndCheck(u, { syntax: c.syntax, file });

        const study = await imagingStudy(u);
        expect(study.series[0].instance[0].uid).toBe(u.sop);
        const findings = await waitFor(
          async () => {
            const f = await fileMetaFindings(u);
            return f.length === c.findings.length ? f : undefined;
          },
          { what: `${c.findings.length} file-meta finding(s) of ${u.study}` },
        );
        expect(findings.map((f) => f.tag).sort()).toEqual(c.findings);
        for (const f of findings) {
          expect(f).toMatchObject({ severity: 'info', sopInstanceUid: u.sop, source: { aeTitle: 'STOW-RS' } });
          expect(f.corrected).toBe(f.tag === '00020003' ? u.sop : CT);
        }
      });
    });
  });

  describe('C-GET', () => {
    it('sends every instance stored over STOW-RS as its data set alone, named by its own UIDs', async () => {
      for (const [i, c] of CASES.entries()) {
        const u = uidsOf(1, i);
        const out = mkdtempSync(join(dir, 'get-'));
        const r = await runDcmtk('getscu', [
          '-aec',
          'IMGBRIDGE',
          '-od',
          out,
          '-k',
          'QueryRetrieveLevel=STUDY',
          '-k',
          `StudyInstanceUID=${u.study}`,
          '127.0.0.1',
          String(server.dicomPort),
        ]);
        expect(r.code, c.name).toBe(0);
        const files = readdirSync(out);
        expect(files, c.name).toEqual([`CT.${u.sop}`]);
        // getscu wrote the File Meta from the C-STORE it received: it names the data set.
        const dump = execFileSync('/usr/bin/dcmdump', ['-M', '-q', '-Un', join(out, files[0]!)], {
          encoding: 'latin1',
        });
        expect(dumped(dump, '0002,0003')).toBe(u.sop);
        expect(dumped(dump, '0008,0018')).toBe(u.sop);
        expect(dumped(dump, '0010,0020')).toBe('PID-95');
        // The syntax is the one negotiated (the stored one or Explicit VR LE, which we transcode to).
        expect([c.syntax, EXPLICIT_LE]).toContain(dumped(dump, '0002,0010'));
      }
    });
  });

  describe('C-STORE', () => {
    it('takes every file of the corpus from storescu (the File Meta is not sent: success), found and served consistently, in FHIR', async () => {
      const paths = CASES.map((c, i) => c.make(dir, uidsOf(2, i)));
      const r = await runDcmtk('storescu', [
        '-v',
        '-aec',
        'IMGBRIDGE',
        '-aet',
        'CORPUS',
        '127.0.0.1',
        String(server.dicomPort),
        ...paths,
      ]);
      expect((r.stdout + r.stderr).match(/Received Store Response \(Success\)/g)).toHaveLength(CASES.length);
      for (const [i, c] of CASES.entries()) {
        const u = uidsOf(2, i);
        expect(await qido(u), c.name).toHaveLength(1);
        await retrieveAndCheck(u);
        await imagingStudy(u);
        expect(await fileMetaFindings(u)).toEqual([]);
      }
    });

    it("stores a data set whose command names another SOP Instance under the data set's UID, with 0xB000 and a finding", async () => {
      const u = uidsOf(3, 0);
      const file = readFileSync(CASES[0]!.make(dir, u));
      const dataset = file.subarray(datasetOffset(file)!);
      const assoc = await openAssociation(
        { host: '127.0.0.1', port: server.dicomPort, tls: false },
        {
          callingAe: 'ODDSCU',
          calledAe: 'IMGBRIDGE',
          contexts: [{ abstractSyntax: CT, transferSyntaxes: [EXPLICIT_LE] }],
          maxPduLength: 65536,
          timeoutMs: 10_000,
        },
      );
      let status: number;
      let comment: string | undefined;
      try {
        const request = new requests.CStoreRequest(
          rawDataset(dataset, EXPLICIT_LE, { SOPClassUID: CT, SOPInstanceUID: `${u.sop}.5` }),
        );
        const [rsp] = await assoc.request(request);
        status = rsp!.getStatus();
        comment = rsp!.getErrorComment();
      } finally {
        await assoc.release();
      }
      expect(status).toBe(DicomStatus.CoercionOfDataElements);
      expect(comment).toBe("stored under the data set's UIDs; the command's differ");
      expect(await qido(u)).toHaveLength(1);
      expect(await qido({ ...u, sop: `${u.sop}.5` })).toHaveLength(0);
      await imagingStudy(u);
      const [finding] = await waitFor(async () => {
        const f = await fileMetaFindings(u);
        return f.length ? f : undefined;
      });
      expect(finding).toMatchObject({
        tag: '00020003',
        original: `${u.sop}.5`,
        corrected: u.sop,
        severity: 'info',
        source: { aeTitle: 'ODDSCU' },
      });
      expect(finding.message).toContain('Affected SOP Instance UID of the C-STORE-RQ');
    });
  });
});
