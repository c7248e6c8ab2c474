/**
 * Finding 8: the audit chain could be rewritten without detection by anyone who can read its
 * key. The server under --auth smart exports its records over TLS (RFC 5425, mutual
 * certificates made with the openssl CLI) to a real node:tls collector, within 2048-octet
 * messages, and anchors its signed checkpoint every second in an external file and through
 * syslog. Then the attack: with the key, a record is edited, the chain recomputed and a new
 * checkpoint signed — `audit verify` alone cannot see it; against either anchor (the file, or
 * the collector's own log) it fails, and the CLI exits non-zero.
 */
import Database from 'better-sqlite3';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainHash } from '../../src/audit/chain-hash.js';
import { signedCheckpoint } from '../../src/audit/checkpoint.js';
import { readAuditKey } from '../../src/audit/key-file.js';
import { verifyAuditLog } from '../../src/audit/read-only.js';
import { startSmartBench, type SmartBench } from './harness.js';
import { opensslAvailable } from '../support/openssl.js';

/** A throw-away CA, the collector's certificate (IP 127.0.0.1) and ours, by the openssl CLI. */
function makeCertificates(dir: string): void {
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
    '/CN=Audit Test CA',
  );
  for (const [name, san] of [
    ['collector', 'IP:127.0.0.1'],
    ['bridge', 'DNS:imaging-bridge'],
  ] as const) {
    ssl(
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=${name}`,
    );
    writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\n`);
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
      '1',
      '-extfile',
      `${name}.ext`,
    );
  }
}

/** An RFC 5425 collector: TLS with client certificates, octet-counted frames. */
async function startCollector(
  dir: string,
): Promise<{ server: Server; port: number; frames: string[]; peers: string[] }> {
  const frames: string[] = [];
  const peers: string[] = [];
  const server = createServer(
    {
      cert: readFileSync(join(dir, 'collector.crt')),
      key: readFileSync(join(dir, 'collector.key')),
      ca: readFileSync(join(dir, 'ca.crt')),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (socket: TLSSocket) => {
      peers.push(String(socket.getPeerCertificate().subject?.CN));
      let buffered = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        for (;;) {
          const space = buffered.indexOf(0x20);
          if (space < 0) return;
          const length = Number(buffered.subarray(0, space).toString());
          if (buffered.length < space + 1 + length) return;
          frames.push(buffered.subarray(space + 1, space + 1 + length).toString());
          buffered = buffered.subarray(space + 1 + length);
        }
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port, frames, peers };
}

describe.skipIf(!opensslAvailable())(
  'audit chain anchored off the host; syslog over TLS within the size receivers accept',
  () => {
    let dir: string;
    let dataDir: string;
    let anchorFile: string;
    let collector: Awaited<ReturnType<typeof startCollector>>;
    let bench: SmartBench;
    const keyFile = () => `${dataDir}.audit-key`;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'ib-audit-anchor-'));
      makeCertificates(dir);
      collector = await startCollector(dir);
      dataDir = join(dir, 'data');
      anchorFile = join(dir, 'elsewhere', 'anchors.jsonl');
      execFileSync('mkdir', ['-p', join(dir, 'elsewhere')]);
      bench = await startSmartBench({
        demo: false,
        flags: { 'data-dir': dataDir },
        configFile: {
          security: {
            auditSyslog: {
              host: '127.0.0.1',
              port: collector.port,
              protocol: 'tls',
              ca: join(dir, 'ca.crt'),
              cert: join(dir, 'bridge.crt'),
              key: join(dir, 'bridge.key'),
              maxMessageBytes: 2048,
            },
            auditAnchor: { intervalSeconds: 1, file: anchorFile, syslog: true },
          },
        },
      });
    }, 120_000);
    afterAll(async () => {
      await bench?.stop().catch(() => undefined);
      collector?.server.close();
      rmSync(dir, { recursive: true, force: true });
      for (const f of [`${dataDir}.audit-key`, `${dataDir}.audit-key.checkpoint`]) rmSync(f, { force: true });
    });

    it('sends every record over mutual TLS in messages of at most 2048 octets that reassemble to the chain record', async () => {
      // A long query makes a record longer than 2048 octets.
      for (let i = 0; i < 3; i++)
        expect((await bench.get(`/fhir/Observation?code=${'x'.repeat(900)}${i}&_count=1`, bench.admin)).status).toBe(
          200,
        );
      const head = bench.auditHead();
      const records = (): Map<number, string> => {
        const parts = new Map<number, string[]>();
        for (const f of collector.frames) {
          const m =
            /^<85>1 \S+ \S+ imaging-bridge \d+ IHE\+FHIR \[imaging-bridge-audit@32473 seq="(\d+)" hash="[0-9a-f]{64}" prev="[0-9a-f]{64}"(?: part="(\d+)" parts="(\d+)")?\] (.*)$/s.exec(
              f,
            );
          if (!m) continue;
          const list = parts.get(Number(m[1])) ?? [];
          list[Number(m[2] ?? 1) - 1] = m[4]!;
          parts.set(Number(m[1]), list);
        }
        return new Map([...parts].map(([seq, list]) => [seq, list.join('')]));
      };
      await expect.poll(() => records().size, { timeout: 15_000 }).toBeGreaterThanOrEqual(head);
      expect(collector.peers).toContain('bridge'); // our certificate was presented
      expect(Math.max(...collector.frames.map((f) => Buffer.byteLength(f)))).toBeLessThanOrEqual(2048);
      expect(collector.frames.some((f) => / part="2" parts="\d+"\]/.test(f))).toBe(true);
      const chain = new Database(join(dataDir, 'audit.sqlite'), { readonly: true });
      try {
        for (const { seq, json } of chain.prepare('SELECT seq, json FROM audit_record').all() as {
          seq: number;
          json: string;
        }[])
          expect(records().get(seq)).toBe(json);
      } finally {
        chain.close();
      }
    });

    it('anchors the signed checkpoint in the external file and through syslog', async () => {
      const head = bench.auditHead();
      await expect
        .poll(
          () =>
            existsSync(anchorFile)
              ? Math.max(
                  ...readFileSync(anchorFile, 'utf8')
                    .trim()
                    .split('\n')
                    .map((l) => JSON.parse(l).seq),
                )
              : 0,
          { timeout: 15_000 },
        )
        .toBeGreaterThanOrEqual(head);
      // The file is written before the syslog message is sent: wait for the message too.
      await expect
        .poll(
          () =>
            collector.frames.some((f) =>
              / CHECKPOINT \[imaging-bridge-checkpoint@32473 v="1" seq="\d+" hash="[0-9a-f]{64}" hmac="[0-9a-f]{64}"\]$/.test(
                f,
              ),
            ),
          { timeout: 15_000 },
        )
        .toBe(true);
    });

    it('detects a chain rewritten and re-signed with the key against either anchor, not without', async () => {
      await bench.stop(); // the last checkpoint is anchored at shutdown
      await expect.poll(() => collector.frames.filter((f) => f.includes(' CHECKPOINT ')).length).toBeGreaterThan(0);
      const collectorLog = join(dir, 'collector.log');
      writeFileSync(collectorLog, `${collector.frames.join('\n')}\n`);
      expect(await verifyAuditLog(dataDir, keyFile(), anchorFile)).toMatchObject({ ok: true });
      expect(await verifyAuditLog(dataDir, keyFile(), collectorLog)).toMatchObject({ ok: true });

      // The attacker reads the key, edits record 2 and recomputes every later hash and the checkpoint.
      const key = readAuditKey(keyFile());
      const db = new Database(join(dataDir, 'audit.sqlite'));
      db.exec('DROP TRIGGER audit_record_no_update');
      const rows = db.prepare('SELECT seq, json, prev_hash FROM audit_record ORDER BY seq').all() as {
        seq: number;
        json: string;
        prev_hash: string;
      }[];
      let prev = rows[0]!.prev_hash;
      let last = { seq: 0, hash: '' };
      for (const r of rows) {
        const json = r.seq === 2 ? r.json.replace('"outcome":"0"', '"outcome":"4"') : r.json;
        const hash = chainHash(key, prev, json);
        db.prepare('UPDATE audit_record SET json = ?, prev_hash = ?, hash = ? WHERE seq = ?').run(
          json,
          prev,
          hash,
          r.seq,
        );
        prev = hash;
        last = { seq: r.seq, hash };
      }
      db.close();
      writeFileSync(`${keyFile()}.checkpoint`, `${JSON.stringify(signedCheckpoint(key, last))}\n`);

      expect(await verifyAuditLog(dataDir, keyFile())).toMatchObject({ ok: true }); // what the key holder counts on
      expect(await verifyAuditLog(dataDir, keyFile(), anchorFile)).toMatchObject({
        ok: false,
        reason: expect.stringMatching(/differs from the external anchor .*anchors\.jsonl: the chain was rewritten/),
      });
      expect(await verifyAuditLog(dataDir, keyFile(), collectorLog)).toMatchObject({
        ok: false,
        reason: expect.stringMatching(/differs from the external anchor/),
      });
      const cli = spawnSync(
        process.execPath,
        ['--import', 'tsx', 'src/cli/main.ts', 'audit', 'verify', '--data-dir', dataDir, '--anchor', anchorFile],
        { encoding: 'utf8', cwd: new URL('../..', import.meta.url).pathname },
      );
      expect(cli.status).toBe(1);
      expect(cli.stdout).toMatch(/^audit chain BROKEN at seq \d+: record \d+ differs from the external anchor/);
    }, 60_000);
  },
);
