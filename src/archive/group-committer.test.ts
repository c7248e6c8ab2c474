import { afterEach, beforeEach, expect, it } from 'vitest';
import { indexRecord } from './archive-index-suite.js';
import type { CommitOptions, IndexedWrite } from './archive-index.js';
import { GroupCommitter } from './group-committer.js';
import { SqliteIndex } from './sqlite/sqlite-index.js';

const ROOT = '1.2.826.0.1.3680043.10.1089.41';
const write = (n: number): IndexedWrite => ({
  replaces: null,
  journaled: true,
  record: indexRecord({ sop: `${ROOT}.${n}`, instanceNumber: n }),
});

let index: SqliteIndex;
/** How many writes each index commit carried, in order. */
let batches: number[];

beforeEach(() => {
  index = new SqliteIndex(':memory:');
  batches = [];
  const commit = index.commit.bind(index);
  index.commit = (writes: IndexedWrite[], options?: CommitOptions) => {
    batches.push(writes.length);
    return commit(writes, options);
  };
});

afterEach(async () => {
  await index.close();
});

// A C-STORE's answer waits for its commit: an idle committer must not first give the event loop a
// turn (timers, other immediates, a bridge pass queued before it would all run ahead of it).
it('commits a write that finds it idle at once, before anything queued on the event loop', async () => {
  const committer = new GroupCommitter(index);
  let loopTurned = false;
  setImmediate(() => {
    loopTurned = true;
  });
  const result = await committer.submit(write(1));
  expect(result.decision).toBe('stored');
  expect(loopTurned).toBe(false);
  expect((await index.findInstance(`${ROOT}.1`))?.blobKey).toBe(
    indexRecord({ sop: `${ROOT}.1`, instanceNumber: 1 }).blobKey,
  );
});

it('commits the writes submitted in the same run of microtasks together, and a later one on its own', async () => {
  const committer = new GroupCommitter(index);
  const results = await Promise.all([1, 2, 3, 4].map((n) => committer.submit(write(n))));
  expect(results.map((r) => r.decision)).toEqual(['stored', 'stored', 'stored', 'stored']);
  expect(batches).toEqual([4]);
  await committer.submit(write(5));
  expect(batches).toEqual([4, 1]);
  expect(await index.studyInstanceCount(indexRecord({ sop: `${ROOT}.1`, instanceNumber: 1 }).studyUid)).toBe(5);
});

// An index whose commit takes a while (PostgreSQL: a round trip): what comes meanwhile waits for it, then goes together.
it('commits the writes that arrive while a commit is under way together, once it is done', async () => {
  const committer = new GroupCommitter(index);
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const commit = index.commit.bind(index);
  const started: number[] = [];
  index.commit = (writes, options) => {
    started.push(writes.length);
    return gate.then(() => commit(writes, options));
  };
  const first = committer.submit(write(1));
  await new Promise((resolve) => setImmediate(resolve)); // the first commit is under way
  const later = [2, 3].map((n) => committer.submit(write(n)));
  await new Promise((resolve) => setImmediate(resolve));
  expect(started).toEqual([1]);
  open();
  expect((await first).decision).toBe('stored');
  expect((await Promise.all(later)).map((r) => r.decision)).toEqual(['stored', 'stored']);
  expect(started).toEqual([1, 2]);
});

it('a write the index refuses fails alone; the writes batched with it are stored', async () => {
  const committer = new GroupCommitter(index);
  const bad: IndexedWrite = { ...write(7), record: { ...write(7).record, studyUid: '' } };
  bad.record = new Proxy(bad.record, {
    get(target, key, receiver) {
      if (key === 'json') throw new Error('unreadable record');
      return Reflect.get(target, key, receiver);
    },
  });
  const first = committer.submit(write(6));
  const outcomes = await Promise.allSettled([committer.submit(bad), committer.submit(write(8))]);
  expect((await first).decision).toBe('stored');
  expect(outcomes[0]?.status).toBe('rejected');
  expect(outcomes[1]).toMatchObject({ status: 'fulfilled', value: { decision: 'stored' } });
});
