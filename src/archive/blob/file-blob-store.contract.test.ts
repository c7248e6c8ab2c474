import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArchiveBlobStore } from '../archive-blob-store.js';
import { FileBlobStore } from '../file-blob-store.js';
import { blobStoreSuite } from './test-support.js';

blobStoreSuite('files', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ib-blob-contract-'));
  return {
    store: new FileBlobStore(dir),
    largeBytes: 5 * 1024 * 1024,
    close: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

blobStoreSuite('packs and files (the default, file:DIR)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ib-blob-contract-'));
  const store = new ArchiveBlobStore(dir, { packWriter: 'import' });
  return {
    store,
    largeBytes: 5 * 1024 * 1024,
    close: async () => {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
