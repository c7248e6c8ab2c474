import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildAuditEvents, openAuditLog } from '../src/audit/index.js';
import { GOLDEN_CASES } from '../src/audit/balp/test-support.js';

const silent = { error: () => undefined, warn: () => undefined, info: () => undefined };
const [event] = buildAuditEvents(GOLDEN_CASES.context!);

describe('audit log: live RFC 5424 copy to a syslog collector', () => {
  const roots: string[] = [];
  afterEach(() => roots.splice(0).forEach((r) => rmSync(r, { recursive: true, force: true })));
  const dataDir = () => {
    const r = mkdtempSync(join(tmpdir(), 'ib-audit-syslog-'));
    roots.push(r);
    return join(r, 'data');
  };

  it('sends each committed record as one UDP datagram', async () => {
    const server = createSocket('udp4');
    await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
    const received = new Promise<string>((resolve) => server.once('message', (m) => resolve(m.toString())));
    const log = openAuditLog({
      dataDir: dataDir(),
      logger: silent,
      syslog: { host: '127.0.0.1', port: server.address().port, protocol: 'udp', hostname: 'ib-test' },
    });
    await log.sink.record(event!);
    expect(await received).toMatch(
      /^<85>1 2024-05-01T10:00:00\.000Z ib-test imaging-bridge \d+ IHE\+FHIR \[imaging-bridge-audit@32473 seq="1" /,
    );
    await log.close();
    server.close();
  });

  it('sends over TCP with octet-counting framing', async () => {
    let data = '';
    const server = createServer((s) => s.on('data', (d) => (data += d.toString())));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const log = openAuditLog({
      dataDir: dataDir(),
      logger: silent,
      syslog: { host: '127.0.0.1', port, protocol: 'tcp' },
    });
    await log.sink.record(event!);
    await log.sink.record(event!);
    await expect.poll(() => data.match(/\d+ <85>1 /g)?.length ?? 0).toBe(2);
    const [len] = data.split(' ', 1);
    expect(Buffer.byteLength(data.slice(len!.length + 1)) >= Number(len)).toBe(true);
    await log.close();
    server.close();
  });

  it('warns at start when the export leaves the host in clear text (the records carry search parameters)', async () => {
    const warnings: string[] = [];
    const logger = { ...silent, warn: (_: unknown, msg?: string) => void warnings.push(msg ?? '') };
    const log = openAuditLog({
      dataDir: dataDir(),
      logger,
      syslog: { host: '192.0.2.10', port: 514, protocol: 'udp' },
    });
    await log.close();
    expect(warnings).toContainEqual(
      expect.stringMatching(
        /audit syslog export in clear text: the records carry search parameters .*use "protocol": "tls"/,
      ),
    );
    const quiet: string[] = [];
    const local = openAuditLog({
      dataDir: dataDir(),
      logger: { ...silent, warn: (_: unknown, msg?: string) => void quiet.push(msg ?? '') },
      syslog: { host: '127.0.0.1', port: 514, protocol: 'udp' },
    });
    await local.close();
    expect(quiet).toEqual([]);
  });
});
