/**
 * A real second writer of a SQLite file: a worker thread with its own connection takes the write
 * lock (BEGIN IMMEDIATE + a write), holds it for `holdMs` with its thread asleep, and commits.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const HOLDER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 10000');
db.exec('BEGIN IMMEDIATE');
db.exec('CREATE TABLE IF NOT EXISTS other_writer(x)');
db.prepare('INSERT INTO other_writer VALUES (1)').run();
parentPort.postMessage('held');
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, workerData.holdMs);
db.exec('COMMIT');
db.close();
parentPort.postMessage('released');
`;

const driver = createRequire(import.meta.url).resolve('better-sqlite3');

/** Resolves once the lock is held, with a promise of the time (performance.now()) it was released. */
export async function holdSqliteWriteLock(file: string, holdMs: number): Promise<{ released: Promise<number> }> {
  const worker = new Worker(HOLDER, { eval: true, workerData: { file, holdMs, driver } });
  const released = new Promise<number>((resolve, reject) => {
    worker.on('message', (m) => m === 'released' && resolve(performance.now()));
    worker.on('error', reject);
  });
  await new Promise<void>((resolve, reject) => {
    worker.on('message', (m) => m === 'held' && resolve());
    worker.on('error', reject);
  });
  return { released };
}

/** The longest gap between ticks of a 5-ms timer while `work` runs: how long the event loop was blocked. */
export async function longestStall<T>(work: Promise<T>): Promise<{ result: PromiseSettledResult<T>; stallMs: number }> {
  let last = performance.now();
  let stallMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    stallMs = Math.max(stallMs, now - last);
    last = now;
  }, 5);
  const [result] = await Promise.allSettled([work]);
  clearInterval(timer);
  return { result, stallMs: Math.max(stallMs, performance.now() - last) };
}

const BUSY_WRITER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 10000');
db.exec('CREATE TABLE IF NOT EXISTS other_writer(x)');
const insert = db.prepare('INSERT INTO other_writer VALUES (1)');
let stop = false;
parentPort.on('message', () => { stop = true; });
(async () => {
  let first = true;
  while (!stop) {
    db.exec('BEGIN IMMEDIATE');
    const end = Date.now() + workerData.holdMs;
    while (Date.now() < end) insert.run();
    db.exec('COMMIT');
    if (first) parentPort.postMessage('writing');
    first = false;
    await new Promise((resolve) => setImmediate(resolve));
  }
  db.close();
  parentPort.close();
})();
`;

/**
 * A writer like the audit projection thread under load: transactions of `holdMs` back to back,
 * with only a setImmediate turn between them. Resolves once it is writing, with its stop().
 */
export async function busySqliteWriter(file: string, holdMs: number): Promise<{ stop(): Promise<void> }> {
  const worker = new Worker(BUSY_WRITER, { eval: true, workerData: { file, holdMs, driver } });
  await new Promise<void>((resolve, reject) => {
    worker.on('message', (m) => m === 'writing' && resolve());
    worker.on('error', reject);
  });
  return {
    stop: async () => {
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.postMessage('stop');
      await exited;
    },
  };
}
