import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  TransferSyntax,
  bufferSource,
  encapsulatePixelData,
  encodePart10,
  transcodeToExplicitLittle,
} from './index.js';
import { sampleJson, samplePixels } from './test-support.js';

const hasDcmdump = spawnSync('dcmdump', ['--version']).status === 0;

/** DCMTK is the reference reader: what we write must dump cleanly, without warnings. */
describe.skipIf(!hasDcmdump)('files we write, read by DCMTK dcmdump', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dcmdump-'));
  const bulk = { '7FE00010': samplePixels() };
  const cases: [string, Buffer][] = [
    ...Object.values(TransferSyntax).map((ts): [string, Buffer] => [
      ts,
      encodePart10(sampleJson(), { transferSyntaxUid: ts, bulk }),
    ]),
    ['defined-length sequences', encodePart10(sampleJson(), { bulk, definedLengthSequences: true })],
    [
      'JPEG baseline',
      encodePart10(sampleJson(), {
        transferSyntaxUid: '1.2.840.10008.1.2.4.50',
        bulk: { '7FE00010': encapsulatePixelData([Buffer.from([0xff, 0xd8, 0xff, 0xd9])]) },
      }),
    ],
    ...[
      TransferSyntax.ImplicitVRLittleEndian,
      TransferSyntax.ExplicitVRBigEndian,
      TransferSyntax.DeflatedExplicitVRLittleEndian,
    ].map((ts): [string, Buffer] => [
      `${ts} transcoded`,
      Buffer.concat([
        ...transcodeToExplicitLittle(bufferSource(encodePart10(sampleJson(), { transferSyntaxUid: ts, bulk }))),
      ]),
    ]),
  ];
  cases.forEach(([name, file], i) => {
    it(`dumps ${name} without errors or warnings`, () => {
      const path = join(dir, `f${i}.dcm`);
      writeFileSync(path, file);
      const run = spawnSync('dcmdump', ['-dc', '+L', path], { encoding: 'latin1' });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(run.stdout).toContain('(0010,0020) LO [PAT-001 ]');
      expect(run.stdout).toContain('(0020,0032) DS [-125.5\\-130\\0.0000125 ]');
    });
  });

  it('writes File Meta that DCMTK reports with our implementation identity', () => {
    const path = join(dir, 'meta.dcm');
    writeFileSync(path, encodePart10(sampleJson(), { bulk }));
    const out = execFileSync('dcmdump', ['-M', '+P', '0002,0013', path], { encoding: 'latin1' });
    expect(out).toContain('IMGBRIDGE_01');
  });
});
