import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAuditAnchorConfig } from './anchor-config.js';
import { CheckpointAnchor, readAnchorFile } from './anchor.js';
import { writeCheckpoint } from './checkpoint.js';
import { checkpointSyslogLine } from './syslog-format.js';

const silent = { error: () => undefined, warn: () => undefined };
const hash = (c: string) => c.repeat(64);

describe('external anchors of the audit checkpoint', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'ib-anchor-'));
    dirs.push(d);
    return d;
  };

  it('parses security.auditAnchor and refuses what cannot work', () => {
    expect(parseAuditAnchorConfig({ auditSyslog: {} })).toBeUndefined();
    expect(parseAuditAnchorConfig({ auditAnchor: { file: '/mnt/worm/anchors' } })).toEqual({
      intervalSeconds: 300,
      syslog: false,
      file: '/mnt/worm/anchors',
    });
    expect(() => parseAuditAnchorConfig({ auditAnchor: {} })).toThrow(/name at least one of file, url, syslog/);
    expect(() => parseAuditAnchorConfig({ auditAnchor: { syslog: true } })).toThrow(/needs security.auditSyslog/);
    expect(() => parseAuditAnchorConfig({ auditAnchor: { url: 'ftp://x' } })).toThrow(/http\(s\) URL/);
    expect(() => parseAuditAnchorConfig({ auditAnchor: { file: 'a', intervalSeconds: 0 } })).toThrow(/intervalSeconds/);
  });

  it('appends the signed checkpoint to the file and POSTs it to the URL once per move, and reads it back', async () => {
    const dir = tmp();
    const key = randomBytes(32);
    const checkpointFile = join(dir, 'key.checkpoint');
    const posted: string[] = [];
    const http = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        posted.push(body);
        res.writeHead(201).end();
      });
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(http.address() as { port: number }).port}/anchors`;
    const file = join(dir, 'anchors.jsonl');
    const sent: number[] = [];
    const anchor = new CheckpointAnchor(
      { intervalSeconds: 300, file, url, syslog: true },
      checkpointFile,
      key,
      { syslog: (e) => sent.push(e.seq) },
      silent,
    );
    try {
      await anchor.anchorNow(); // no checkpoint yet: nothing
      await writeCheckpoint(checkpointFile, key, { seq: 5, hash: hash('a') }, false);
      await anchor.anchorNow();
      await anchor.anchorNow(); // unchanged: not again
      await writeCheckpoint(checkpointFile, key, { seq: 9, hash: hash('b') }, false);
      await anchor.close();
    } finally {
      http.close();
    }
    expect(readAnchorFile(file, key)).toEqual([
      { seq: 5, hash: hash('a') },
      { seq: 9, hash: hash('b') },
    ]);
    expect(posted.map((p) => JSON.parse(p).seq)).toEqual([5, 9]);
    expect(sent).toEqual([5, 9]);
    expect(JSON.parse(readFileSync(file, 'utf8').split('\n')[0]!)).toMatchObject({
      v: 1,
      seq: 5,
      hash: hash('a'),
      hmac: expect.stringMatching(/^[0-9a-f]{64}$/),
      at: expect.any(String),
    });
  });

  it('reads the anchored checkpoints of a collector log among other lines; refuses one signed with another key', () => {
    const dir = tmp();
    const key = randomBytes(32);
    const file = join(dir, 'collector.log');
    // Signed lines made by the anchor itself, turned into syslog lines.
    const entry = (seq: number, k: Buffer) => {
      const f = join(dir, `c${seq}`);
      return writeCheckpoint(f, k, { seq, hash: hash('c') }, false).then(() => ({
        ...JSON.parse(readFileSync(f, 'utf8')),
        at: '2024-05-01T10:00:00.000Z',
      }));
    };
    return Promise.all([entry(3, key), entry(4, randomBytes(32))]).then(([good, foreign]) => {
      const origin = { hostname: 'h', procId: 1 };
      writeFileSync(
        file,
        [
          '<85>1 2024-05-01T10:00:00.000Z h imaging-bridge 1 IHE+FHIR [imaging-bridge-audit@32473 seq="1" hash="x" prev="y"] {}',
          checkpointSyslogLine(good, origin),
          'some other line',
        ].join('\n'),
      );
      expect(readAnchorFile(file, key)).toEqual([{ seq: 3, hash: hash('c') }]);
      writeFileSync(file, `${checkpointSyslogLine(foreign, origin)}\n`);
      expect(() => readAnchorFile(file, key)).toThrow(
        /collector\.log:1: the anchored checkpoint is not signed with this key/,
      );
    });
  });
});
