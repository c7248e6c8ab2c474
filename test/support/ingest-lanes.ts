/** Load for fault tests: lanes sending one instance after another by STOW-RS or C-STORE (storescu). */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runDcmtk } from './dcmtk.js';
import type { Ledger, Sent } from './ingest-ledger.js';
import { multipartBody } from './multipart.js';
import type { SpawnedServer } from './server.js';

/** One instance by STOW-RS: acknowledged on 200 only. */
export async function stowOne(server: SpawnedServer, ledger: Ledger): Promise<Sent | undefined> {
  const s = ledger.instance('stow', server);
  const { body, contentType } = multipartBody([s.bytes]);
  try {
    const res = await fetch(`${server.dicomweb}/studies`, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body,
    });
    await res.arrayBuffer();
    if (res.status === 200) return s;
    ledger.refused.push(`STOW ${res.status}`);
  } catch (e) {
    ledger.refused.push(`STOW ${(e as Error).cause ?? e}`);
  }
  return undefined;
}

/** One instance by C-STORE (one storescu association): acknowledged when storescu logged Success or Warning. */
export async function cStoreOne(server: SpawnedServer, ledger: Ledger, dir: string): Promise<Sent | undefined> {
  const s = ledger.instance('c-store', server);
  const path = join(dir, `${s.sop}.dcm`);
  writeFileSync(path, s.bytes);
  const r = await runDcmtk(
    'storescu',
    ['-v', '-aec', 'IMGBRIDGE', '-aet', 'FAULT', '127.0.0.1', String(server.dicomPort), path],
    { allowFailure: true, timeoutMs: 60_000 },
  ).catch(() => ({ code: -1, stdout: '', stderr: 'timed out' }));
  rmSync(path, { force: true });
  const out = `${r.stdout}\n${r.stderr}`;
  if (/Received Store Response \((Success|Warning)/.test(out)) return s;
  const status = /Received Store Response \(([^)]*)\)/.exec(out)?.[1];
  ledger.refused.push(`C-STORE ${status ?? `exit ${r.code}`}`);
  return undefined;
}

/** Sends one instance after another until `stop()` says so, recording each acknowledgement. */
export async function lane(send: () => Promise<Sent | undefined>, ledger: Ledger, stop: () => boolean): Promise<void> {
  while (!stop()) {
    const s = await send();
    if (s) ledger.acked.set(s.sop, s);
  }
}
