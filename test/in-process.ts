import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/load.js';
import { createLogger } from '../src/core/logger.js';
import type { RouteRule } from '../src/http/security/access-control.js';
import { startServer } from '../src/main.js';
import { freePort } from './support/ports.js';

export interface TestServer {
  url: string;
  dicomweb: string;
  dataDir: string;
  /** DIMSE port (our AE title is IMGBRIDGE unless --dicom-aet says otherwise). */
  dicomPort: number;
  /** Every HTTP route with its access rule, as the running server registered them. */
  routes(): readonly RouteRule[];
  stop(): Promise<void>;
}

export interface TestServerOptions {
  /** Written to a config file passed with --config (e.g. { dimse: { peers: … } }). */
  configFile?: Record<string, unknown>;
  /** Application logs (JSON lines) go here at --log-level debug instead of nowhere. */
  logTo?: { write(line: string): unknown };
}

/** The real server (real sockets, real SQLite, real files) started in this process on a free port. */
export async function startTestServer(
  flags: Record<string, string> = {},
  opts: TestServerOptions = {},
): Promise<TestServer> {
  const ownDir = mkdtempSync(join(tmpdir(), 'ib-test-'));
  // A suite that restarts on the same data passes its own --data-dir (and removes it itself).
  const dataDir = flags['data-dir'] ?? ownDir;
  const port = await freePort();
  const configFlag: Record<string, string> = {};
  if (opts.configFile) {
    configFlag.config = join(ownDir, 'test-config.json');
    writeFileSync(configFlag.config, JSON.stringify(opts.configFile));
  }
  // DIMSE on port 0 (the kernel picks one): suites run in parallel.
  const config = loadConfig(
    {
      'http-port': String(port),
      'dicom-port': '0',
      'data-dir': dataDir,
      'log-level': 'silent',
      // Suites about other features run without authorization; security suites pass --auth smart.
      auth: 'none',
      ...configFlag,
      ...flags,
    },
    {},
  );
  const server = await startServer(config, opts.logTo ? createLogger('debug', opts.logTo) : createLogger('silent'));
  return {
    url: server.httpUrl,
    dicomweb: `${server.httpUrl}/dicomweb`,
    dataDir,
    dicomPort: server.dicomPort,
    routes: () => server.routes(),
    stop: async () => {
      await server.close();
      rmSync(ownDir, { recursive: true, force: true });
      // The audit key and its checkpoint live beside the data dir (default --audit-key-file).
      if (dataDir === ownDir)
        for (const f of [`${ownDir}.audit-key`, `${ownDir}.audit-key.checkpoint`]) rmSync(f, { force: true });
    },
  };
}

/** A multipart/related STOW body from whole Part 10 files. */
export function stowBody(files: Buffer[], boundary = 'test-boundary-1234'): { body: Buffer; contentType: string } {
  const parts: Buffer[] = [];
  for (const f of files) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), f, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return {
    body: Buffer.concat(parts),
    contentType: `multipart/related; type="application/dicom"; boundary=${boundary}`,
  };
}

/** Splits a multipart/related response into its parts' bodies. */
export function splitMultipart(body: Buffer, contentType: string): { headers: string; data: Buffer }[] {
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1];
  if (!boundary) throw new Error(`no boundary in ${contentType}`);
  const delim = Buffer.from(`--${boundary}`);
  const out: { headers: string; data: Buffer }[] = [];
  let pos = body.indexOf(delim);
  while (pos >= 0) {
    const start = pos + delim.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const headerEnd = body.indexOf('\r\n\r\n', start);
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delim]), headerEnd);
    out.push({ headers: body.subarray(start + 2, headerEnd).toString(), data: body.subarray(headerEnd + 4, next) });
    pos = next + 2;
  }
  return out;
}

/** The JSON body of a response, untyped: tests assert on its shape. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const json = async (res: Response): Promise<any> => res.json();
