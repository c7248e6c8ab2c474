/**
 * A writer process for src/audit/checkpoint-mover.test.ts: `FILE KEYHEX UPTO` moves the checkpoint
 * FILE through heads 1..UPTO of a chain whose record n hashes to sha256(n) (every process sees the
 * same chain, as instances sharing a PostgreSQL chain do), looking each hash up with a varying
 * delay like a database would, then prints `done`.
 */
import { createHash } from 'node:crypto';
import { CheckpointMover } from '../../src/audit/checkpoint-mover.js';

const [file, keyHex, upto] = process.argv.slice(2);
const hashOf = (seq: number) => createHash('sha256').update(String(seq)).digest('hex');
const mover = new CheckpointMover(
  file!,
  Buffer.from(keyHex!, 'hex'),
  async (seq) => {
    await new Promise((r) => setTimeout(r, Math.random() * 8)); // a query's varying latency
    return seq <= Number(upto) * 2 ? hashOf(seq) : undefined;
  },
  (message) => console.error(message),
);
for (let seq = 1; seq <= Number(upto); seq++) {
  mover.move({ seq, hash: hashOf(seq) });
  await new Promise((r) => setTimeout(r, 1)); // commits keep coming while moves are written
}
await mover.close();
console.log('done');
