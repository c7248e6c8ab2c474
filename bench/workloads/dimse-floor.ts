/**
 * The DIMSE floor of P1/P3: DCMTK's storescp as the receiver, writing each instance to a file
 * without fsync and keeping no index (`storescp --fork -od DIR`), fed by the same storescu
 * processes as the servers. No receiver that acknowledges only durable data can beat it on this
 * machine; P1's share of it (≥ 55 %, PROTOCOL.md) is a row of the report, P3's is in its notes.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { connect } from 'node:net';
import type { Manifest } from '../generate.js';
import { splitContiguous, storescu } from '../storescu.js';
import { freePort } from '../../test/support/ports.js';
import { settleDisk } from './ceiling.js';
import type { BenchContext } from './context.js';

export interface FloorSample {
  associations: number;
  ms: number;
  instancesPerS: number;
  /** Files storescp wrote (all of them, or the floor is not valid). */
  written: number;
}

const FLOOR_AET = 'FLOOR';

/** storescp listening on a free loopback port, until stop(). */
async function startStorescp(dir: string): Promise<{ port: number; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawn('storescp', ['--fork', '-od', dir, '-aet', FLOOR_AET, String(port)], {
    env: { ...process.env, TCP_NODELAY: '1' },
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let i = 0; ; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (up) break;
    if (i > 100 || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`storescp did not listen on ${port}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** One floor measurement: the manifest's files over `associations` storescu processes into storescp. */
export async function measureDimseFloor(
  ctx: BenchContext,
  manifest: Manifest,
  associations: number,
): Promise<FloorSample> {
  const dir = ctx.scratch.dir(`dimse-floor-${associations}`);
  try {
    const scp = await startStorescp(dir);
    try {
      settleDisk();
      const files = manifest.entries.map((e) => e.file);
      const started = performance.now();
      const runs = await Promise.all(
        splitContiguous(files, associations).map((slice) =>
          storescu({ aet: FLOOR_AET, port: scp.port }, slice, manifest.dir),
        ),
      );
      const ms = performance.now() - started;
      if (runs.some((r) => r.code !== 0))
        throw new Error(`storescu into storescp failed: ${runs.map((r) => r.output.split('\n').at(-1)).join(' | ')}`);
      return { associations, ms, instancesPerS: (files.length / ms) * 1000, written: readdirSync(dir).length };
    } finally {
      await scp.stop();
    }
  } finally {
    ctx.scratch.remove(dir);
  }
}
