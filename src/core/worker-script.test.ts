import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { SERVICE_THREAD_LIMITS, workerExecArgv } from './worker-script.js';

/** Whether a Worker starts and ends with these execArgv (throws ERR_WORKER_INVALID_EXEC_ARGV otherwise). */
function workerStarts(execArgv: string[]): Promise<number> {
  const worker = new Worker('0', { eval: true, execArgv });
  return new Promise((resolve) => worker.once('exit', resolve));
}

describe('the node options a worker thread inherits', () => {
  const parent = [
    '--max-semi-space-size=4',
    '--max-old-space-size',
    '256',
    '--v8-pool-size=2',
    '--expose-gc',
    '--stack-size=900',
    '--no-warnings',
    '--input-type',
    'module',
    '-e',
    'code()',
    '--enable-source-maps',
  ];

  it('drops the process-wide V8 options and the main-script ones, keeping the rest', () => {
    expect(workerExecArgv(parent)).toEqual(['--no-warnings', '--enable-source-maps']);
  });

  it('gives a Worker only what it accepts (each dropped option is refused by a Worker)', async () => {
    await expect(workerStarts(workerExecArgv(parent))).resolves.toBe(0);
    for (const refused of ['--max-semi-space-size=4', '--max-old-space-size=256', '--v8-pool-size=2', '--expose-gc'])
      expect(() => new Worker('0', { eval: true, execArgv: [refused] })).toThrow(/execArgv/);
  });
});

/** MB of new space a thread with these limits has committed after allocating ≈ 1 M short-lived objects. */
function newSpaceAfterGarbage(resourceLimits: { maxYoungGenerationSizeMb: number }): Promise<number> {
  const code = `
    const v8 = require('node:v8');
    const { parentPort } = require('node:worker_threads');
    const kept = [];
    for (let r = 0; r < 200; r++) {
      const batch = [];
      for (let i = 0; i < 5000; i++) batch.push({ i, s: 'x' + i });
      kept.push(batch[r]);
    }
    parentPort.postMessage(v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size);`;
  const worker = new Worker(code, { eval: true, resourceLimits });
  return new Promise((resolve, reject) => {
    worker.once('message', (bytes: number) => {
      void worker.terminate();
      resolve(bytes / 2 ** 20);
    });
    worker.once('error', reject);
  });
}

describe('the service threads’ V8 limits (audit writer, audit projection, WAL checkpoints)', () => {
  it('keep their young generation at V8’s floor: 2 MB of new space committed under allocation (4 MB with 6)', async () => {
    // issue 21 (P3 peak RSS): three such threads run while C-STOREs arrive.
    expect(await newSpaceAfterGarbage(SERVICE_THREAD_LIMITS)).toBeLessThanOrEqual(2);
    expect(await newSpaceAfterGarbage({ maxYoungGenerationSizeMb: 6 })).toBeGreaterThan(2);
  });
});
