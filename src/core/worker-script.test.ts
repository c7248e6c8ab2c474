import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { workerExecArgv } from './worker-script.js';

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
